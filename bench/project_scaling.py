#!/usr/bin/env python3
"""Projects data-parallel scaling efficiency on a cluster (docs/distributed.md).

A step on N nodes takes the compute of one node's share (weak scaling: the
per-node batch stays the same) plus the all-reduce time that backward does
not hide. A ring all-reduce of B bytes over N nodes moves 2(N-1)/N * B
through each node's link and takes 2(N-1) latency-bound rounds:

    T_ring = 2(N-1)/N * B / bandwidth + 2(N-1) * latency

Without overlap all of it is exposed. With overlap the buckets are
all-reduced one after another, each as soon as backward has produced it
(--buckets gives each bucket's READY point as a fraction of the backward
pass, measured with //tools:time, and its SHARE of the bytes); what is
still running when backward ends is exposed.

Efficiency = T_compute / (T_compute + exposed).

    bench/project_scaling.py --step_seconds=0.82 --backward_share=0.48 \
        --parameters=60965224 --buckets=0.146:0.296,0.454:0.664,1:0.041
"""
import argparse

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--step_seconds", type=float, required=True,
                    help="measured compute of one step on one node")
parser.add_argument("--backward_share", type=float, required=True,
                    help="measured share of the step spent in backward")
parser.add_argument("--parameters", type=int, required=True)
parser.add_argument("--buckets", required=True,
                    help="READY:SHARE,... per bucket in all-reduce order")
parser.add_argument("--latency_us", type=float, default=25.0,
                    help="per-message latency of the network (TCP over Ethernet: ~25 us)")
args = parser.parse_args()

nodes = [2, 8, 32, 128]
links = [10, 25, 100]  # Gb/s
bytes_per_step = 4 * args.parameters
t_backward = args.step_seconds * args.backward_share
buckets = [tuple(map(float, b.split(":"))) for b in args.buckets.split(",")]

def ring_seconds(n, gbps, share=1.0):
    return (2 * (n - 1) / n * share * bytes_per_step / (gbps * 1e9 / 8)
            + 2 * (n - 1) * args.latency_us * 1e-6)

def exposed_with_overlap(n, gbps):
    busy_until = 0.0
    for ready, share in buckets:
        busy_until = max(busy_until, ready * t_backward) + ring_seconds(n, gbps, share)
    return max(0.0, busy_until - t_backward)

print(f"{bytes_per_step / 1e6:.0f} MB of gradients a step; compute {args.step_seconds * 1e3:.0f} ms "
      f"a step, of which backward {t_backward * 1e3:.0f} ms\n")
print("| link | " + " | ".join(f"N={n}: all-reduce ms" for n in nodes) + " |")
print("|---|" + "---|" * len(nodes))
for gbps in links:
    print(f"| {gbps} Gb/s | " + " | ".join(f"{ring_seconds(n, gbps) * 1e3:.0f}" for n in nodes) + " |")
print()
print("| link | overlap | " + " | ".join(f"N={n}" for n in nodes) + " |")
print("|---|---|" + "---|" * len(nodes))
for gbps in links:
    for overlap in (False, True):
        cells = []
        for n in nodes:
            t = ring_seconds(n, gbps)
            exposed = exposed_with_overlap(n, gbps) if overlap else t
            cells.append(f"{100 * args.step_seconds / (args.step_seconds + exposed):.0f}%")
        print(f"| {gbps} Gb/s | {'yes' if overlap else 'no'} | " + " | ".join(cells) + " |")
