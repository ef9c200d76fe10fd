// SPDX-License-Identifier: MIT
/// @file
/// @brief The C ABI between libmatopt (the deep-ensemble facade) and the libtorch plugin
/// `libmatopt_torch.so`. Torch-free and Eigen-free: plain C types only, so the two sides can be built
/// with different flags and no C++ exception or type crosses the dlopen boundary.
///
/// The plugin exports one symbol, `matopt_torch_plugin_api`, returning a table of function pointers.
/// Every function that can fail returns 0 on success and nonzero on failure; the failure text is then
/// available from `last_error()` (thread-local in the plugin, valid until the next call).
#pragma once

#include <stddef.h>
#include <stdint.h>

extern "C" {

/// Bumped whenever the table or MtOptions changes; the facade refuses a plugin with another version.
#define MATOPT_TORCH_ABI_VERSION 2
#define MATOPT_TORCH_API_SYMBOL "matopt_torch_plugin_api"
#define MATOPT_TORCH_MAX_LAYERS 16

enum MtActivation { MT_RELU = 0, MT_TANH = 1, MT_SILU = 2, MT_GELU = 3 };
enum MtDtype { MT_FLOAT64 = 0, MT_FLOAT32 = 1 };
enum MtDevice { MT_CPU = 0, MT_CUDA = 1 };
enum MtArchitecture { MT_MLP = 0, MT_ATTENTION = 1 };
enum MtLoss { MT_GAUSSIAN = 0, MT_LAPLACE = 1 };
enum MtOptimizer { MT_ADAM = 0, MT_ADAMW = 1 };
enum MtSchedule { MT_CONSTANT = 0, MT_COSINE = 1 };

/// Resolved (validated, defaults filled) training options; the facade parses the JSON.
struct MtOptions {
  int32_t members;
  int32_t n_hidden;
  int32_t hidden[MATOPT_TORCH_MAX_LAYERS];
  int32_t activation;  ///< MtActivation
  int32_t epochs;
  int32_t batch_size;
  double learning_rate;
  double weight_decay;
  int32_t patience;
  double validation_fraction;
  int32_t threads;        ///< > 0 (the facade resolves "all cores")
  double min_variance;    ///< floor on the member variance, standardized units
  int32_t dtype;          ///< MtDtype
  int32_t device;         ///< MtDevice
  int32_t loss;           ///< MtLoss (regression only)
  int32_t optimizer;      ///< MtOptimizer
  int32_t schedule;       ///< MtSchedule: constant, or one warm-up epoch then cosine decay to 0
  double clip_norm;       ///< gradient norm clip per step; 0 = off
  int32_t architecture;   ///< MtArchitecture; `hidden` is then the head after pooling
  int32_t slots;          ///< attention: the first `slots` columns are atomic numbers, the next `slots`
                          ///< fractions (filled slots first); the remaining columns join after pooling
  int32_t d_model;        ///< attention: token width
  int32_t heads;          ///< attention: heads per layer (divides d_model)
  int32_t attention_layers;
  int32_t feedforward;    ///< attention: width of each layer's feed-forward block
};

/// Called after every epoch of every member (done, total = members * epochs upper bound). Must not throw.
typedef void (*MtProgressFn)(void* context, int64_t done, int64_t total);

typedef void* MtHandle;

struct MtApi {
  int32_t abi_version;
  /// Text of the last failure on this thread.
  const char* (*last_error)(void);
  /// Library description (torch version, CUDA availability), for logs.
  const char* (*describe)(void);

  /// Creates an unbuilt ensemble; NULL on failure. `classification`: one logistic output per member.
  MtHandle (*create)(const MtOptions* options, uint64_t seed, int32_t classification);
  void (*destroy)(MtHandle h);
  /// Deep copy (weights included); NULL on failure.
  MtHandle (*clone)(MtHandle h);

  /// Attention only, before build/fit: the fixed element-property table, row-major rows x cols, row z
  /// for atomic number z (rows = 119). It is saved and loaded as the last parameter.
  int32_t (*set_element_table)(MtHandle h, const double* table, int64_t rows, int64_t cols);
  /// Builds freshly initialized members for `d` inputs (used before set_param when loading).
  int32_t (*build)(MtHandle h, int64_t d);
  /// Builds and trains on standardized data: X row-major n x d, y length n (0/1 for classification).
  int32_t (*fit)(MtHandle h, const double* X, int64_t n, int64_t d, const double* y, MtProgressFn progress,
                 void* progress_context);
  /// Summary of the last fit (epochs run, best validation loss per member).
  const char* (*fit_summary)(MtHandle h);

  int32_t (*num_members)(MtHandle h);
  /// Per-member outputs at the rows of X (row-major n x d), standardized units, written member-major
  /// into `means` and `variances` (members x n). Classification: mean = P(y=1), variance = p(1-p).
  int32_t (*predict_members)(MtHandle h, const double* X, int64_t n, int64_t d, double* means,
                             double* variances);

  /// Parameter tensors of all members, in a fixed order. Names contain [A-Za-z0-9_] only.
  int64_t (*num_params)(MtHandle h);
  /// Name and shape (ndim 1 or 2; rows x cols, cols = 1 for ndim 1) of parameter i.
  int32_t (*param_info)(MtHandle h, int64_t i, const char** name, int32_t* ndim, int64_t* rows, int64_t* cols);
  /// Copies parameter i to/from a row-major double buffer of rows*cols values.
  int32_t (*get_param)(MtHandle h, int64_t i, double* out);
  int32_t (*set_param)(MtHandle h, int64_t i, const double* in);
};

typedef const MtApi* (*MtApiEntry)(void);

}  // extern "C"
