#pragma once
// Brings kernels/cpu/optim.h (the AAFGAN_HD optimizer formulas) into a .cu file. That header
// also defines the CPU loops, whose `#pragma omp` lines (kernels/cpu/parallel.h) the host
// compiler reports as unknown pragmas under -Wall, since nvcc's host pass is not given -fopenmp.
// Marking this wrapper a system header silences those warnings for the headers it includes and
// nothing else; include it before any header that includes kernels/cpu/optim.h.
#pragma GCC system_header

#include "kernels/cpu/optim.h"
