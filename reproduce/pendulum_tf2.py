"""The "simple TF2 DDPG" article on Pendulum-v0 (preset `tf2_article`).

State and action concatenated at the critic's input, ReLU hidden layers (actor 1000-500-200,
critic 400-200, from the article's published code), tanh actor, Adam 1e-3 for both, gamma
0.99, tau 0.01, batch 32, Gaussian exploration (sigma 0.1), 100 episodes.
"""
import sys

from ddpg_graph.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["reproduce", "tf2_article", *sys.argv[1:]]))
