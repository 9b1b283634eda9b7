"""Emami's tflearn DDPG walkthrough on Pendulum-v0 (preset `emami`): the headline run.

Adam 1e-4 (actor) / 1e-3 (critic), gamma 0.99, tau 0.001, batch 64, buffer 1e6, 400-300 ReLU
with the action entering the critic's second layer, OU noise (sigma 0.3, theta 0.15).
"""
import sys

from ddpg_graph.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["reproduce", "emami", *sys.argv[1:]]))
