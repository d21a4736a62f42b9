"""Python's concurrent.futures.ProcessPoolExecutor on the workload of bench_process_pool.

Prints one line per round: "batch_us=<per-task us> roundtrip_us=<us>". The pool is created and
warmed up (workers started, code imported) before anything is timed, as on the weft side.
Usage: python3 process_pool.py [--rounds N] [--workers W] [--batch B] [--trips T]
"""
import argparse
import concurrent.futures as cf
import time


def trivial(x):
    return x + 1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--batch", type=int, default=2000)
    p.add_argument("--trips", type=int, default=500)
    a = p.parse_args()
    with cf.ProcessPoolExecutor(a.workers) as ex:
        list(ex.map(trivial, range(4 * a.workers)))
        for _ in range(a.rounds):
            t = time.perf_counter()
            fs = [ex.submit(trivial, i) for i in range(a.batch)]
            for i, f in enumerate(fs):
                assert f.result() == i + 1
            batch = (time.perf_counter() - t) / a.batch * 1e6
            t = time.perf_counter()
            for i in range(a.trips):
                assert ex.submit(trivial, i).result() == i + 1
            trip = (time.perf_counter() - t) / a.trips * 1e6
            print(f"batch_us={batch:.3f} roundtrip_us={trip:.3f}", flush=True)


if __name__ == "__main__":
    main()
