#pragma once
// Exactly rounded arithmetic for the formulas of kernels/math/*.h, which the CPU loops
// (kernels/cpu) and the CUDA kernels (kernels/cuda) both call.
//
// Rounding: the CPU build never fuses a·b + c into one FMA (-ffp-contract=off), but nvcc does by
// default (-fmad=true). The formulas here therefore round each product and sum explicitly through
// mul_rn/add_rn/sub_rn: the __fmul_rn/__dadd_rn/… intrinsics on the device, which are never
// contracted, and the plain operators on the host. +, −, ·, / and sqrt are correctly rounded on
// both (nvcc's defaults -prec-div=true -prec-sqrt=true), so a formula built from them gives the
// same bits on both devices; exp/log/log1p/cos differ by an ulp or so between CUDA's and glibc's
// libraries.
#include <cmath>
#include <cstdint>

#include "kernels/math/hd.h"

namespace aafgan::kernels {

// --- exactly rounded arithmetic -------------------------------------------------------------

// On the device each is its never-contracted intrinsic; on the host, the plain operator.
#if defined(__CUDA_ARCH__)
AAFGAN_HD float mul_rn(float a, float b) { return __fmul_rn(a, b); }
AAFGAN_HD double mul_rn(double a, double b) { return __dmul_rn(a, b); }
AAFGAN_HD float add_rn(float a, float b) { return __fadd_rn(a, b); }
AAFGAN_HD double add_rn(double a, double b) { return __dadd_rn(a, b); }
AAFGAN_HD float sub_rn(float a, float b) { return __fsub_rn(a, b); }
AAFGAN_HD double sub_rn(double a, double b) { return __dsub_rn(a, b); }
#else
AAFGAN_HD float mul_rn(float a, float b) { return a * b; }
AAFGAN_HD double mul_rn(double a, double b) { return a * b; }
AAFGAN_HD float add_rn(float a, float b) { return a + b; }
AAFGAN_HD double add_rn(double a, double b) { return a + b; }
AAFGAN_HD float sub_rn(float a, float b) { return a - b; }
AAFGAN_HD double sub_rn(double a, double b) { return a - b; }
#endif

// std::max(a, b) exactly: a NaN `a` is returned (passes through), a NaN `b` is not.
template <typename T>
AAFGAN_HD T max_keep_nan_a(T a, T b) { return a < b ? b : a; }

}  // namespace aafgan::kernels
