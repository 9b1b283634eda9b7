"""Morvan Zhou's DDPG tutorial (DDPG_update.py) on Pendulum-v0 (preset `morvan`).

One hidden layer of 30 units, Adam 1e-3 (actor) / 2e-3 (critic), gamma 0.9, tau 0.01, batch 32,
memory of 10000 filled before learning starts, Gaussian exploration sigma 3 shrinking x0.9995
per learning step, rewards divided by 10 in the memory, 200 episodes of 200 steps.
"""
import sys

from ddpg_graph.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["reproduce", "morvan", *sys.argv[1:]]))
