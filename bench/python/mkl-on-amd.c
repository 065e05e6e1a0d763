/*
 * MKL picks its code path by CPU vendor: on AMD it runs generic kernels, not its AVX-512 ones, even on a
 * CPU that has AVX-512 (this Zen machine). Preloading this (LD_PRELOAD) answers MKL's "is this an Intel
 * CPU?" with yes, so it uses the kernels the CPU supports: a widely used workaround that gives the peers
 * (PyTorch's MKL, MKL in bin/bench-gemm) their fastest sgemm here; measured in docs/BENCHMARKS.md.
 * Built by setup-peer-venv.sh and bin/bench-gemm when a C compiler is present.
 */
int mkl_serv_intel_cpu_true(void) {
    return 1;
}
