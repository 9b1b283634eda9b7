"""ctmakro's canton DDPG on Pendulum-v0 (preset `canton`), with its oscilloscope.

RMSProp 1e-4 for both networks, gamma 0.99, tau 0.001, batch 64, buffer 1e6, residual ELU
blocks of 64 units, the original's leaky-integrator exploration noise (level 0.1, x0.99 per
episode). The oscilloscope opens as a window, or is written to RUN_DIR/scope without a display.
"""
import sys

from ddpg_graph.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["reproduce", "canton", *sys.argv[1:]]))
