"""sezan92's Keras DDPG notebook on MountainCarContinuous-v0 (preset `keras_mountaincar`).

Actor 3x320, critic 3x640 on concatenated state and action, RMSProp 1e-4 / 1e-3, gamma 0.95,
tau 0.001, batch 256, a memory of 10000 filled first with 10000 random steps, OU noise
(theta 0.35, mu 0.8, sigma 0.4, dt 0.01), 100 episodes.
"""
import sys

from ddpg_graph.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["reproduce", "keras_mountaincar", *sys.argv[1:]]))
