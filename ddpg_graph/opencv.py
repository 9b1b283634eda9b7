"""OpenCV for the oscilloscope and videos, with its own log lines ("[ WARN:0@0.01] global
cap.cpp ...") silenced below errors: a failed open or write is reported by the caller, as one
line of ours, when ``isOpened()`` or ``imwrite`` says so."""


def cv2():
    import cv2 as module
    module.utils.logging.setLogLevel(module.utils.logging.LOG_LEVEL_ERROR)
    return module
