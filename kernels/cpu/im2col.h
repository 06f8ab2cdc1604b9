#pragma once
// defines: ConvGeometry, im2col, col2im, conv_workspace_limit, set_conv_workspace_limit
//
// im2col and its adjoint col2im for 2-D convolution over contiguous NCHW images. They turn
// a convolution into one GEMM: with the weight as a [Cout, C·kH·kW] matrix, the output of a
// batch is weight · col.
#include <cstddef>
#include <cstdint>

namespace aafgan::kernels::cpu {

// The "image" side is what a convolution reads (its input); the "column" side has one
// column per window position (the convolution's output pixels).
struct ConvGeometry {
  int64_t channels = 0, height = 0, width = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;
  int64_t out_h = 0, out_w = 0;

  int64_t col_rows() const { return channels * kernel_h * kernel_w; }
  int64_t col_cols() const { return out_h * out_w; }  // per image
};

// images [batch, C, H, W] → col [C·kH·kW, batch·OH·OW]: row (c, i, j), column (b, oh, ow)
// holds images[b, c, oh·sH − pH + i, ow·sW − pW + j], or 0 where that lies in the padding.
// Placing the images side by side lets one GEMM cover the whole batch.
template <typename T>
void im2col(const T* images, int64_t batch, const ConvGeometry& g, T* col);

// The adjoint of im2col: images (overwritten) = the sum of every column entry into the
// pixel it was read from.
template <typename T>
void col2im(const T* col, int64_t batch, const ConvGeometry& g, T* images);

// Bytes of scratch one convolution call may hold: a cap on how many images it puts side by
// side in one GEMM. Tests lower it to exercise the chunked paths.
size_t conv_workspace_limit();
void set_conv_workspace_limit(size_t bytes);

}  // namespace aafgan::kernels::cpu
