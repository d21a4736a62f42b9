"""The Python side of bench_ipc: multiprocessing.Queue and multiprocessing.Value.

Measures exactly what bench_ipc.cpp measures for weft::ipc, one line per round:
  queue_int=<items/s> queue_str=<items/s> value=<increments/s>
queue_*: a producer process puts N items, the parent gets them; the clock starts at the first
item received (process start-up is not measured) and stops at the last.
value: two processes each do N times `with v.get_lock(): v.value += 1`, released together by a
barrier; the clock runs from the release to the later of the two finishing times.
Usage: python3 ipc.py [--rounds R] [--items N] [--increments N]
"""
import argparse
import multiprocessing as mp
import time

PAYLOAD = "x" * 100


def produce(q, n, text):
    item = PAYLOAD if text else 0
    for i in range(n):
        q.put(item if text else i)


def queue_rate(n, text):
    q = mp.Queue()
    p = mp.Process(target=produce, args=(q, n, text))
    p.start()
    q.get()
    t0 = time.monotonic()
    for _ in range(n - 1):
        q.get()
    t1 = time.monotonic()
    p.join()
    return (n - 1) / (t1 - t0)


def increment(v, barrier, ends, idx, n):
    barrier.wait()
    for _ in range(n):
        with v.get_lock():
            v.value += 1
    ends[idx] = time.monotonic()


def value_rate(n):
    v = mp.Value("q", 0)
    barrier = mp.Barrier(3)
    ends = mp.Array("d", 2)
    ps = [mp.Process(target=increment, args=(v, barrier, ends, i, n)) for i in range(2)]
    for p in ps:
        p.start()
    barrier.wait()
    t0 = time.monotonic()
    for p in ps:
        p.join()
    if v.value != 2 * n:
        raise SystemExit("lost increments under get_lock(): %d != %d" % (v.value, 2 * n))
    return 2 * n / (max(ends[:]) - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--items", type=int, default=100000)
    ap.add_argument("--increments", type=int, default=100000)
    a = ap.parse_args()
    for _ in range(a.rounds):
        qi = queue_rate(a.items, False)
        qs = queue_rate(a.items, True)
        v = value_rate(a.increments)
        print("queue_int=%.1f queue_str=%.1f value=%.1f" % (qi, qs, v), flush=True)


if __name__ == "__main__":
    main()
