// SPDX-License-Identifier: MIT
// The libtorch side of the deep ensemble: M networks with a mean and a scale head (or one logit),
// trained with Gaussian or Laplace NLL (or BCE) by Adam(W) with early stopping. A network is an MLP,
// or an attention encoder over a composition's (element, fraction) tokens followed by an MLP head. This is the only translation unit
// that includes torch; it is built as the dlopen plugin libmatopt_torch.so and does not link libmatopt,
// so the few helpers it needs (seed derivation, shuffling) are reimplemented here on plain
// std::mt19937_64 output, bit-compatible with core/rng.cpp.
//
// Data arrive already standardized by the facade (src/models/deep_ensemble.cpp), which also turns
// member outputs into the predictive mixture.

#include <ATen/Context.h>
#include <torch/cuda.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/utils.h>
#include <torch/version.h>

#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <numbers>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "models/torch/plugin_abi.hpp"

namespace {

thread_local std::string g_last_error;

// Runs f, turning every exception (c10::Error included) into an error code plus text: nothing may
// unwind across the C boundary.
template <class F>
int32_t guarded(F&& f) {
  try {
    f();
    return 0;
  } catch (const c10::Error& e) {
    g_last_error = std::string("libtorch: ") + e.what_without_backtrace();
  } catch (const std::exception& e) {
    g_last_error = e.what();
  } catch (...) {
    g_last_error = "unknown exception in the torch plugin";
  }
  return 1;
}

// SplitMix64 child seed; identical to matopt::derive_seed so seeds mean the same on both sides.
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t stream) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

std::uint64_t uniform_index(std::mt19937_64& rng, std::uint64_t n) {
  const std::uint64_t limit = UINT64_MAX - (UINT64_MAX % n + 1) % n;
  std::uint64_t r;
  do {
    r = rng();
  } while (r > limit);
  return r % n;
}

void shuffle(std::vector<int64_t>& v, std::mt19937_64& rng) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[uniform_index(rng, i)]);
}

// openblas_set_num_threads when the BLAS that libtorch loaded is OpenBLAS (Debian picks the BLAS
// through alternatives), else null. Looked up in the already-loaded library, never loading one.
using SetThreadsFn = void (*)(int);
SetThreadsFn openblas_set_num_threads_fn() {
  static const SetThreadsFn fn = [] {
    for (const char* lib : {"libopenblas.so.0", "libblas.so.3"}) {
      if (void* h = dlopen(lib, RTLD_NOW | RTLD_NOLOAD)) {
        auto f = reinterpret_cast<SetThreadsFn>(dlsym(h, "openblas_set_num_threads"));
        dlclose(h);  // only drops the reference RTLD_NOLOAD added
        if (f) return f;
      }
    }
    return SetThreadsFn{nullptr};
  }();
  return fn;
}

constexpr double kHalfLog2Pi = 0.91893853320467274178;
constexpr double kLog2 = 0.69314718055994530942;
constexpr int64_t kElementRows = 119;  // atomic numbers 0 (unused) .. 118

// One network as plain tensors. MLP: (weight, bias) per layer, the last layer being the output head.
// Attention: the token encoder's tensors (see Ensemble::build_attention for the order), then the head
// as an MLP.
struct Member {
  std::vector<torch::Tensor> params;
};

// Row indices of an attention batch; every row has the same number of filled slots, so a batch needs
// no padding mask: its tokens are the first `count` slot columns.
struct TokenBatch {
  int64_t count = 0;
  std::vector<int64_t> rows;
};

struct Ensemble {
  MtOptions opt{};
  std::uint64_t seed = 0;
  bool classification = false;
  int64_t d = -1;
  std::vector<Member> members;
  std::vector<std::string> names;  // parameter names, in flat_param() order
  torch::Tensor table;             // attention: element properties, kElementRows x p, not trained
  std::string summary;

  torch::TensorOptions tensor_options() const {
    return torch::TensorOptions()
        .dtype(opt.dtype == MT_FLOAT32 ? torch::kFloat32 : torch::kFloat64)
        .device(opt.device == MT_CUDA ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU));
  }
  int64_t outputs() const { return classification ? 1 : 2; }

  // Always a copy: from_blob only borrows the caller's buffer.
  torch::Tensor to_tensor(const double* data, int64_t rows, int64_t cols) const {
    auto host = torch::TensorOptions().dtype(torch::kFloat64);
    auto t = cols > 0 ? torch::from_blob(const_cast<double*>(data), {rows, cols}, host)
                      : torch::from_blob(const_cast<double*>(data), {rows}, host);
    return t.to(tensor_options(), /*non_blocking=*/false, /*copy=*/true);
  }

  bool attention() const { return opt.architecture == MT_ATTENTION; }
  // Number of tensors of the token encoder before the head (attention only).
  int64_t encoder_params() const { return attention() ? 7 + 12 * static_cast<int64_t>(opt.attention_layers) : 0; }

  // Appends a fresh (weight, bias) Linear layer: torch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in))
  // for both, unless `weight_bound`/`zero_bias` say otherwise.
  void add_linear(Member& m, std::mt19937_64& rng, const std::string& name, int64_t in, int64_t out,
                  double weight_bound = -1.0, bool zero_bias = false) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(in));
    const double wb = weight_bound > 0 ? weight_bound : bound;
    std::vector<double> w(static_cast<std::size_t>(in * out)), b(static_cast<std::size_t>(out), 0.0);
    for (double& x : w) x = (2.0 * uniform01(rng) - 1.0) * wb;
    if (!zero_bias)
      for (double& x : b) x = (2.0 * uniform01(rng) - 1.0) * bound;
    m.params.push_back(to_tensor(w.data(), out, in).set_requires_grad(true));
    m.params.push_back(to_tensor(b.data(), out, 0).set_requires_grad(true));
    names.push_back(name + "_weight");
    names.push_back(name + "_bias");
  }
  void add_vector(Member& m, const std::string& name, int64_t size, double value) {
    std::vector<double> v(static_cast<std::size_t>(size), value);
    m.params.push_back(to_tensor(v.data(), size, 0).set_requires_grad(true));
    names.push_back(name);
  }

  // Token encoder of one member, in this order: element embedding; property projection (weight,
  // bias); fraction MLP (two layers); then per attention layer: qkv projection, output projection,
  // norm 1 (weight, bias), feed-forward (two layers), norm 2 (weight, bias). Initialization follows
  // torch's TransformerEncoderLayer: Xavier-uniform qkv with zero biases, zero output bias, unit norms;
  // the embedding has unit variance like torch's N(0, 1).
  void build_attention(Member& m, std::mt19937_64& rng, const std::string& prefix) {
    const int64_t d = opt.d_model, f = opt.feedforward;
    std::vector<double> e(static_cast<std::size_t>(kElementRows * d));
    for (double& x : e) x = (2.0 * uniform01(rng) - 1.0) * std::sqrt(3.0);
    m.params.push_back(to_tensor(e.data(), kElementRows, d).set_requires_grad(true));
    names.push_back(prefix + "_embedding");
    add_linear(m, rng, prefix + "_property", table.size(1), d);
    add_linear(m, rng, prefix + "_fraction0", 2, d);
    add_linear(m, rng, prefix + "_fraction1", d, d);
    for (int l = 0; l < opt.attention_layers; ++l) {
      const std::string a = prefix + "_attention" + std::to_string(l);
      add_linear(m, rng, a + "_qkv", d, 3 * d, std::sqrt(6.0 / static_cast<double>(4 * d)), /*zero_bias=*/true);
      add_linear(m, rng, a + "_out", d, d, -1.0, /*zero_bias=*/true);
      add_vector(m, a + "_norm1_weight", d, 1.0);
      add_vector(m, a + "_norm1_bias", d, 0.0);
      add_linear(m, rng, a + "_ff0", d, f);
      add_linear(m, rng, a + "_ff1", f, d);
      add_vector(m, a + "_norm2_weight", d, 1.0);
      add_vector(m, a + "_norm2_bias", d, 0.0);
    }
  }

  // Fresh members drawn from a per-member mt19937_64, so the result does not depend on torch's
  // global generator, on the torch version or on the thread count.
  void build(int64_t dim) {
    if (dim < 1) throw std::invalid_argument("the ensemble needs at least one input column");
    int64_t head_inputs = dim;
    if (attention()) {
      if (dim < 2 * opt.slots)
        throw std::invalid_argument("the attention ensemble needs the " + std::to_string(2 * opt.slots) +
                                    " element-slot columns first; X has " + std::to_string(dim));
      if (!table.defined()) throw std::invalid_argument("the attention ensemble needs the element table first");
      head_inputs = opt.d_model + dim - 2 * opt.slots;
    }
    d = dim;
    members.clear();
    names.clear();
    std::vector<int64_t> widths{head_inputs};
    for (int i = 0; i < opt.n_hidden; ++i) widths.push_back(opt.hidden[i]);
    widths.push_back(outputs());
    for (int k = 0; k < opt.members; ++k) {
      std::mt19937_64 rng(derive_seed(derive_seed(seed, static_cast<std::uint64_t>(k)), 0));
      Member m;
      const std::string prefix = "member" + std::to_string(k);
      if (attention()) build_attention(m, rng, prefix);
      for (std::size_t j = 0; j + 1 < widths.size(); ++j)
        add_linear(m, rng, prefix + "_layer" + std::to_string(j), widths[j], widths[j + 1]);
      members.push_back(std::move(m));
    }
    if (attention()) names.push_back("element_table");
  }

  void set_table(const double* data, int64_t rows, int64_t cols) {
    if (!attention()) throw std::invalid_argument("an element table is only used by the attention architecture");
    if (rows != kElementRows || cols < 1)
      throw std::invalid_argument("the element table must have " + std::to_string(kElementRows) +
                                  " rows and at least one column");
    if (!members.empty() && cols != table.size(1))
      throw std::invalid_argument("the networks were built for an element table of " + std::to_string(table.size(1)) +
                                  " columns, not " + std::to_string(cols));
    table = to_tensor(data, rows, cols);
  }

  // Members' tensors member-major, then (attention) the shared element table.
  torch::Tensor& flat_param(int64_t i) {
    const auto per = static_cast<int64_t>(members.at(0).params.size());
    if (attention() && i == per * static_cast<int64_t>(members.size())) return table;
    return members.at(static_cast<std::size_t>(i / per)).params.at(static_cast<std::size_t>(i % per));
  }
  int64_t num_params() const {
    if (members.empty()) return 0;
    return static_cast<int64_t>(members.size() * members[0].params.size()) + (attention() ? 1 : 0);
  }

  torch::Tensor activate(const torch::Tensor& x) const {
    switch (opt.activation) {
      case MT_TANH: return torch::tanh(x);
      case MT_SILU: return torch::silu(x);
      case MT_GELU: return torch::gelu(x);
      default: return torch::relu(x);
    }
  }

  // The MLP made of m.params[first..]: (weight, bias) pairs, activation between layers.
  torch::Tensor forward(const Member& m, torch::Tensor x, std::size_t first = 0) const {
    const std::size_t layers = (m.params.size() - first) / 2;
    for (std::size_t j = 0; j < layers; ++j) {
      x = torch::addmm(m.params[first + 2 * j + 1], x, m.params[first + 2 * j].t());
      if (j + 1 < layers) x = activate(x);
    }
    return x;
  }

  // Attention network on a batch whose rows all have `z.size(1)` elements: z [B, c] atomic numbers,
  // frac [B, c] fractions, extra [B, e] further (standardized) columns. Post-norm encoder layers as in
  // torch's TransformerEncoderLayer (ReLU feed-forward), then the fraction-weighted sum of the tokens.
  torch::Tensor forward_tokens(const Member& m, const torch::Tensor& z, const torch::Tensor& frac,
                               const torch::Tensor& extra) const {
    const auto& p = m.params;
    const int64_t B = z.size(0), c = z.size(1), dm = opt.d_model, H = opt.heads, dh = dm / H;
    const auto features = torch::stack({frac, torch::log(frac.clamp_min(1e-6)) / 10.0}, -1);
    auto h = torch::embedding(p[0], z) + torch::linear(torch::embedding(table, z), p[1], p[2]) +
             torch::linear(torch::silu(torch::linear(features, p[3], p[4])), p[5], p[6]);
    const double scale = 1.0 / std::sqrt(static_cast<double>(dh));
    for (int l = 0; l < opt.attention_layers; ++l) {
      const std::size_t o = 7 + 12 * static_cast<std::size_t>(l);
      const auto qkv = torch::linear(h, p[o], p[o + 1]).view({B, c, 3, H, dh}).permute({2, 0, 3, 1, 4});
      const auto weights = torch::softmax(torch::matmul(qkv[0], qkv[1].transpose(-2, -1)) * scale, -1);
      const auto mixed = torch::matmul(weights, qkv[2]).transpose(1, 2).reshape({B, c, dm});
      h = torch::layer_norm(h + torch::linear(mixed, p[o + 2], p[o + 3]), {dm}, p[o + 4], p[o + 5], 1e-5);
      const auto ff = torch::linear(torch::relu(torch::linear(h, p[o + 6], p[o + 7])), p[o + 8], p[o + 9]);
      h = torch::layer_norm(h + ff, {dm}, p[o + 10], p[o + 11], 1e-5);
    }
    auto pooled = (h * frac.unsqueeze(-1)).sum(1);
    if (extra.size(1) > 0) pooled = torch::cat({pooled, extra}, 1);
    return forward(m, pooled, static_cast<std::size_t>(encoder_params()));
  }

  torch::Tensor scale_head(const torch::Tensor& raw) const { return torch::softplus(raw) + opt.min_variance; }
  // Predictive variance of one member: the Gaussian's variance, or 2 b^2 for a Laplace scale b.
  torch::Tensor variance(const torch::Tensor& raw) const {
    const auto s = scale_head(raw);
    return opt.loss == MT_LAPLACE ? 2.0 * s * s : s;
  }

  // Mean loss over the rows, without constants: Gaussian NLL (head = variance), Laplace NLL (head =
  // scale b), or BCE on the logit.
  torch::Tensor loss(const torch::Tensor& out, const torch::Tensor& y) const {
    if (classification) return torch::binary_cross_entropy_with_logits(out.select(1, 0), y);
    const auto mu = out.select(1, 0);
    const auto s = scale_head(out.select(1, 1));
    if (opt.loss == MT_LAPLACE) return ((y - mu).abs() / s + torch::log(s)).mean();
    return (0.5 * (torch::log(s) + (y - mu).pow(2) / s)).mean();
  }
  double loss_constant() const { return classification ? 0.0 : opt.loss == MT_LAPLACE ? kLog2 : kHalfLog2Pi; }

  // Members are independent, so the cores go to training several members at once (one worker
  // thread each) rather than to intra-op parallelism, which only adds synchronization on matrices
  // this small. Leftover cores (threads > members) become intra-op threads.
  int workers() const { return std::max(1, std::min(opt.threads, opt.members)); }
  void set_threads() const {
    const int intra = std::max(1, opt.threads / workers());
    torch::set_num_threads(intra);
    // OpenBLAS keeps its own pool; concurrent callers that each ask it for threads spin against each
    // other (20x slower measured on 2 busy cores), so member workers get single-threaded BLAS.
    if (auto set_blas = openblas_set_num_threads_fn()) set_blas(workers() > 1 ? 1 : intra);
    at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/false);
  }

  void check_device() const {
    if (opt.device == MT_CUDA && !torch::cuda::is_available())
      throw std::runtime_error("device 'cuda' was requested but this libtorch (" TORCH_VERSION
                               ") sees no CUDA device; use device 'cpu'");
  }

  // Runs job(k) for every member on workers() threads. The first failure (lowest member index
  // among those that failed) is rethrown after all workers have stopped.
  template <class Job>
  void for_each_member(Job&& job) const {
    const int m = opt.members, w = workers();
    std::vector<std::exception_ptr> errors(static_cast<std::size_t>(m));
    std::atomic<int> next{0};
    std::atomic<bool> failed{false};
    auto run = [&] {
      for (int k; !failed.load() && (k = next.fetch_add(1)) < m;) {
        try {
          job(k);
        } catch (...) {
          errors[static_cast<std::size_t>(k)] = std::current_exception();
          failed.store(true);
        }
      }
    };
    if (w == 1) {
      run();
    } else {
      std::vector<std::thread> pool;
      for (int t = 0; t < w; ++t) pool.emplace_back(run);
      for (auto& t : pool) t.join();
    }
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
  }

  struct Progress {
    MtProgressFn fn = nullptr;
    void* ctx = nullptr;
    int64_t total = 0;
    int64_t done = 0;
    std::mutex mutex;  // the callback is called from one thread at a time
    void advance(int64_t by) {
      if (fn == nullptr) return;
      std::lock_guard<std::mutex> lock(mutex);
      done += by;
      fn(ctx, done, total);
    }
  };

  // Training data on the device. MLP: X. Attention: the slot columns split into atomic numbers and
  // fractions, the other columns, and each row's number of filled slots (host side, for batching).
  struct Data {
    torch::Tensor X, z, frac, extra, y;
    std::vector<int64_t> counts;
  };

  Data make_data(const double* Xp, int64_t n, int64_t dim, const double* yp) const {
    Data data;
    data.X = to_tensor(Xp, n, dim);
    if (yp != nullptr) data.y = to_tensor(yp, n, 0);
    if (!attention()) return data;
    const int64_t S = opt.slots;
    data.counts.resize(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      int64_t c = 0;
      while (c < S && Xp[i * dim + c] > 0.0) ++c;
      for (int64_t j = 0; j < S; ++j) {
        const double zj = Xp[i * dim + j];
        if (!(zj >= 0.0 && zj < static_cast<double>(kElementRows)) || zj != std::floor(zj) || (j >= c && zj != 0.0) ||
            (j < c && !(Xp[i * dim + S + j] > 0.0)))
          throw std::invalid_argument("row " + std::to_string(i) + ": element slot " + std::to_string(j) +
                                      " is not a filled-slots-first (atomic number, fraction > 0) layout");
      }
      if (c == 0) throw std::invalid_argument("row " + std::to_string(i) + " has no element in its slots");
      data.counts[static_cast<std::size_t>(i)] = c;
    }
    data.z = data.X.slice(1, 0, S).to(torch::kInt64);
    data.frac = data.X.slice(1, S, 2 * S).contiguous();
    data.extra = data.X.slice(1, 2 * S, dim).contiguous();
    return data;
  }

  // Attention batches: `rows` grouped by filled-slot count (keeping their order), cut into batches of
  // at most `size`, the batch order then shuffled when rng is given.
  std::vector<TokenBatch> token_batches(const Data& data, const std::vector<int64_t>& rows, int64_t size,
                                        std::mt19937_64* rng) const {
    std::vector<std::vector<int64_t>> by_count(static_cast<std::size_t>(opt.slots) + 1);
    for (int64_t r : rows) by_count[static_cast<std::size_t>(data.counts[static_cast<std::size_t>(r)])].push_back(r);
    std::vector<TokenBatch> out;
    for (std::size_t c = 1; c < by_count.size(); ++c)
      for (std::size_t s = 0; s < by_count[c].size(); s += static_cast<std::size_t>(size)) {
        TokenBatch b;
        b.count = static_cast<int64_t>(c);
        b.rows.assign(by_count[c].begin() + static_cast<std::ptrdiff_t>(s),
                      by_count[c].begin() + static_cast<std::ptrdiff_t>(std::min(by_count[c].size(), s + static_cast<std::size_t>(size))));
        out.push_back(std::move(b));
      }
    if (rng != nullptr)
      for (std::size_t i = out.size(); i > 1; --i) std::swap(out[i - 1], out[uniform_index(*rng, i)]);
    return out;
  }

  torch::Tensor forward_batch(const Member& m, const Data& data, const TokenBatch& b, torch::Tensor* y) const {
    const auto idx = torch::tensor(b.rows, torch::TensorOptions().dtype(torch::kInt64)).to(data.X.device());
    if (y != nullptr) *y = data.y.index_select(0, idx);
    return forward_tokens(m, data.z.index_select(0, idx).slice(1, 0, b.count),
                          data.frac.index_select(0, idx).slice(1, 0, b.count), data.extra.index_select(0, idx));
  }

  static constexpr int64_t kEvalBatch = 4096;

  std::unique_ptr<torch::optim::Optimizer> make_optimizer(std::vector<torch::Tensor> params) const {
    if (opt.optimizer == MT_ADAMW)
      return std::make_unique<torch::optim::AdamW>(
          std::move(params), torch::optim::AdamWOptions(opt.learning_rate).weight_decay(opt.weight_decay));
    return std::make_unique<torch::optim::Adam>(
        std::move(params), torch::optim::AdamOptions(opt.learning_rate).weight_decay(opt.weight_decay));
  }
  void set_learning_rate(torch::optim::Optimizer& o, double lr) const {
    for (auto& g : o.param_groups()) {
      if (opt.optimizer == MT_ADAMW)
        static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
      else
        static_cast<torch::optim::AdamOptions&>(g.options()).lr(lr);
    }
  }

  // Trains member k on its own split and shuffles; returns its summary line.
  std::string train_member(int k, const Data& data, Progress& progress) {
    Member& m = members[static_cast<std::size_t>(k)];
    const torch::Tensor& X = data.X;
    const torch::Tensor& y = data.y;
    const int64_t n = X.size(0);
    std::mt19937_64 rng(derive_seed(derive_seed(seed, static_cast<std::uint64_t>(k)), 1));
    // Each member holds out its own random part, so together they still learn from every row.
    std::vector<int64_t> order(static_cast<std::size_t>(n));
    for (int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
    shuffle(order, rng);
    int64_t n_val = static_cast<int64_t>(std::floor(opt.validation_fraction * static_cast<double>(n)));
    if (n_val < 1 || n - n_val < 2) n_val = 0;  // too few rows to hold any out: all epochs, no early stop
    std::vector<int64_t> val(order.begin(), order.begin() + n_val), train(order.begin() + n_val, order.end());
    const auto index_options = torch::TensorOptions().dtype(torch::kInt64);
    torch::Tensor Xv, yv;
    std::vector<TokenBatch> val_batches;
    if (n_val > 0) {
      if (attention()) {
        val_batches = token_batches(data, val, kEvalBatch, nullptr);
      } else {
        auto idx = torch::tensor(val, index_options).to(X.device());
        Xv = X.index_select(0, idx);
        yv = y.index_select(0, idx);
      }
    }
    auto validation_loss = [&] {
      torch::NoGradGuard no_grad;
      if (!attention()) return loss(forward(m, Xv), yv).item<double>();
      double sum = 0.0;
      for (const auto& b : val_batches) {
        torch::Tensor yb;
        const auto out = forward_batch(m, data, b, &yb);
        sum += loss(out, yb).item<double>() * static_cast<double>(b.rows.size());
      }
      return sum / static_cast<double>(n_val);
    };

    auto optim = make_optimizer(m.params);
    double best = std::numeric_limits<double>::infinity();
    std::vector<torch::Tensor> best_params;
    int best_epoch = 0, since_best = 0, epoch = 0;
    const auto n_train = static_cast<int64_t>(train.size());
    const int64_t batch = std::min<int64_t>(opt.batch_size, n_train);
    const int64_t steps_per_epoch = attention() ? static_cast<int64_t>(token_batches(data, train, batch, nullptr).size())
                                                : (n_train + batch - 1) / batch;
    const double total_steps = static_cast<double>(steps_per_epoch) * opt.epochs;
    int64_t step = 0;
    auto update = [&](const torch::Tensor& l) {
      if (opt.schedule == MT_COSINE) {
        const double lr = step < steps_per_epoch
                              ? opt.learning_rate * static_cast<double>(step + 1) / static_cast<double>(steps_per_epoch)
                              : opt.learning_rate * 0.5 * (1.0 + std::cos(std::numbers::pi * static_cast<double>(step) / total_steps));
        set_learning_rate(*optim, lr);
      }
      optim->zero_grad();
      l.backward();
      if (opt.clip_norm > 0) torch::nn::utils::clip_grad_norm_(m.params, opt.clip_norm);
      optim->step();
      ++step;
    };
    for (epoch = 1; epoch <= opt.epochs; ++epoch) {
      shuffle(train, rng);
      if (attention()) {
        for (const auto& b : token_batches(data, train, batch, &rng)) {
          torch::Tensor yb;
          const auto out = forward_batch(m, data, b, &yb);
          update(loss(out, yb));
        }
      } else {
        auto perm = torch::tensor(train, index_options).to(X.device());
        for (int64_t start = 0; start < n_train; start += batch) {
          const auto idx = perm.slice(0, start, std::min(start + batch, n_train));
          update(loss(forward(m, X.index_select(0, idx)), y.index_select(0, idx)));
        }
      }
      progress.advance(1);
      if (n_val == 0) continue;
      const double v = validation_loss();
      if (!std::isfinite(v))
        throw std::runtime_error("member " + std::to_string(k) + ": the validation loss became " + std::to_string(v) +
                                 " at epoch " + std::to_string(epoch) + " (try a smaller learning_rate)");
      if (v < best) {
        best = v;
        best_epoch = epoch;
        since_best = 0;
        best_params.clear();
        for (const auto& p : m.params) best_params.push_back(p.detach().clone());
      } else if (++since_best >= opt.patience) {
        break;
      }
    }
    const int ran = std::min(epoch, opt.epochs);
    progress.advance(opt.epochs - ran);  // early stop: count the skipped epochs as done
    if (!best_params.empty()) {
      torch::NoGradGuard no_grad;
      for (std::size_t i = 0; i < m.params.size(); ++i) m.params[i].copy_(best_params[i]);
    }
    std::ostringstream sum;
    sum.precision(4);
    sum << "member " << k << ": " << ran << " epochs";
    if (n_val > 0)
      sum << ", best validation " << (classification ? "BCE " : "NLL ") << best + loss_constant() << " at epoch "
          << best_epoch << " (" << n_val << " rows held out)";
    else
      sum << ", no validation rows (n = " << n << ")";
    return sum.str();
  }

  void fit(const double* Xp, int64_t n, int64_t dim, const double* yp, MtProgressFn progress_fn, void* ctx) {
    if (n < 1) throw std::invalid_argument("cannot fit the ensemble on zero rows");
    check_device();
    set_threads();
    summary.clear();
    members.clear();  // nothing from an earlier fit survives a failed one
    d = -1;
    const Data data = make_data(Xp, n, dim, yp);  // validates before anything is built
    build(dim);
    Progress progress;
    progress.fn = progress_fn;
    progress.ctx = ctx;
    progress.total = static_cast<int64_t>(opt.members) * opt.epochs;
    std::vector<std::string> lines(static_cast<std::size_t>(opt.members));
    try {
      for_each_member([&](int k) { lines[static_cast<std::size_t>(k)] = train_member(k, data, progress); });
    } catch (...) {
      members.clear();  // half-trained members must not be used
      d = -1;
      throw;
    }
    for (std::size_t k = 0; k < lines.size(); ++k) summary += (k ? "; " : "") + lines[k];
  }

  void predict(const double* Xp, int64_t n, int64_t dim, double* means, double* variances) {
    if (members.empty()) throw std::runtime_error("the ensemble has not been built or fitted");
    if (dim != d)
      throw std::invalid_argument("X has " + std::to_string(dim) + " columns, the ensemble was built for " +
                                  std::to_string(d));
    check_device();
    set_threads();
    const Data data = make_data(Xp, n, dim, nullptr);
    std::vector<TokenBatch> batches;
    if (attention()) {
      std::vector<int64_t> rows(static_cast<std::size_t>(n));
      for (int64_t i = 0; i < n; ++i) rows[static_cast<std::size_t>(i)] = i;
      batches = token_batches(data, rows, kEvalBatch, nullptr);
    }
    for_each_member([&](int k) {
      torch::NoGradGuard no_grad;  // thread-local, so set in each worker
      const Member& m = members[static_cast<std::size_t>(k)];
      double* mean_out = means + static_cast<int64_t>(k) * n;
      double* var_out = variances + static_cast<int64_t>(k) * n;
      auto emit = [&](const torch::Tensor& out, const std::vector<int64_t>* rows) {
        torch::Tensor mu, var;
        if (classification) {
          mu = torch::sigmoid(out.select(1, 0));
          var = mu * (1.0 - mu);
        } else {
          mu = out.select(1, 0);
          var = variance(out.select(1, 1));
        }
        auto mu_h = mu.to(torch::kCPU, torch::kFloat64).contiguous();
        auto var_h = var.to(torch::kCPU, torch::kFloat64).contiguous();
        const double* mp = mu_h.data_ptr<double>();
        const double* vp = var_h.data_ptr<double>();
        if (rows == nullptr) {
          std::copy_n(mp, n, mean_out);
          std::copy_n(vp, n, var_out);
          return;
        }
        for (std::size_t i = 0; i < rows->size(); ++i) {
          mean_out[(*rows)[i]] = mp[i];
          var_out[(*rows)[i]] = vp[i];
        }
      };
      if (!attention()) {
        emit(forward(m, data.X), nullptr);
        return;
      }
      for (const auto& b : batches) emit(forward_batch(m, data, b, nullptr), &b.rows);
    });
  }
};

Ensemble* as_ensemble(MtHandle h) {
  if (h == nullptr) throw std::invalid_argument("null ensemble handle");
  return static_cast<Ensemble*>(h);
}

void validate(const MtOptions& o) {
  if (o.members < 1) throw std::invalid_argument("members must be >= 1");
  if (o.n_hidden < 0 || o.n_hidden > MATOPT_TORCH_MAX_LAYERS) throw std::invalid_argument("bad hidden layer count");
  for (int i = 0; i < o.n_hidden; ++i)
    if (o.hidden[i] < 1) throw std::invalid_argument("hidden layer sizes must be >= 1");
  if (o.epochs < 1 || o.batch_size < 1 || o.patience < 1 || o.threads < 1)
    throw std::invalid_argument("epochs, batch_size, patience and threads must be >= 1");
  if (!(o.learning_rate > 0) || !(o.weight_decay >= 0) || !(o.min_variance > 0) ||
      !(o.validation_fraction >= 0 && o.validation_fraction < 1))
    throw std::invalid_argument("learning_rate > 0, weight_decay >= 0, min_variance > 0 and "
                                "validation_fraction in [0, 1) are required");
  if (o.loss != MT_GAUSSIAN && o.loss != MT_LAPLACE) throw std::invalid_argument("unknown loss");
  if (o.optimizer != MT_ADAM && o.optimizer != MT_ADAMW) throw std::invalid_argument("unknown optimizer");
  if (o.schedule != MT_CONSTANT && o.schedule != MT_COSINE) throw std::invalid_argument("unknown schedule");
  if (!(o.clip_norm >= 0)) throw std::invalid_argument("clip_norm must be >= 0");
  if (o.architecture == MT_ATTENTION) {
    if (o.slots < 1 || o.d_model < 1 || o.heads < 1 || o.d_model % o.heads != 0 || o.attention_layers < 0 ||
        o.feedforward < 1)
      throw std::invalid_argument("attention needs slots, d_model, heads, feedforward >= 1, attention_layers >= 0 "
                                  "and heads dividing d_model");
  } else if (o.architecture != MT_MLP) {
    throw std::invalid_argument("unknown architecture");
  }
}

// ---- C entry points ------------------------------------------------------------------------------

const char* api_last_error() { return g_last_error.c_str(); }

const char* api_describe() {
  static const std::string text = std::string("libtorch ") + TORCH_VERSION +
                                   (torch::cuda::is_available() ? ", CUDA available" : ", CPU only");
  return text.c_str();
}

MtHandle api_create(const MtOptions* options, uint64_t seed, int32_t classification) {
  Ensemble* out = nullptr;
  guarded([&] {
    if (options == nullptr) throw std::invalid_argument("null options");
    validate(*options);
    auto e = std::make_unique<Ensemble>();
    e->opt = *options;
    e->seed = seed;
    e->classification = classification != 0;
    out = e.release();
  });
  return out;
}

void api_destroy(MtHandle h) { delete static_cast<Ensemble*>(h); }

MtHandle api_clone(MtHandle h) {
  Ensemble* out = nullptr;
  guarded([&] {
    const Ensemble* src = as_ensemble(h);
    auto e = std::make_unique<Ensemble>();
    e->opt = src->opt;
    e->seed = src->seed;
    e->classification = src->classification;
    e->summary = src->summary;
    if (src->table.defined()) e->table = src->table.clone();
    if (src->d > 0) {
      e->build(src->d);
      torch::NoGradGuard no_grad;
      for (std::size_t k = 0; k < src->members.size(); ++k)
        for (std::size_t i = 0; i < src->members[k].params.size(); ++i)
          e->members[k].params[i].copy_(src->members[k].params[i]);
    }
    out = e.release();
  });
  return out;
}

int32_t api_set_element_table(MtHandle h, const double* table, int64_t rows, int64_t cols) {
  return guarded([&] { as_ensemble(h)->set_table(table, rows, cols); });
}

int32_t api_build(MtHandle h, int64_t d) {
  return guarded([&] {
    Ensemble* e = as_ensemble(h);
    e->check_device();
    e->build(d);
  });
}

int32_t api_fit(MtHandle h, const double* X, int64_t n, int64_t d, const double* y, MtProgressFn progress,
                void* ctx) {
  return guarded([&] { as_ensemble(h)->fit(X, n, d, y, progress, ctx); });
}

const char* api_fit_summary(MtHandle h) { return h ? static_cast<Ensemble*>(h)->summary.c_str() : ""; }

int32_t api_num_members(MtHandle h) { return h ? static_cast<Ensemble*>(h)->opt.members : 0; }

int32_t api_predict_members(MtHandle h, const double* X, int64_t n, int64_t d, double* means, double* variances) {
  return guarded([&] { as_ensemble(h)->predict(X, n, d, means, variances); });
}

int64_t api_num_params(MtHandle h) { return h ? static_cast<Ensemble*>(h)->num_params() : 0; }

int32_t api_param_info(MtHandle h, int64_t i, const char** name, int32_t* ndim, int64_t* rows, int64_t* cols) {
  return guarded([&] {
    Ensemble* e = as_ensemble(h);
    if (i < 0 || i >= e->num_params()) throw std::out_of_range("parameter index out of range");
    const auto& t = e->flat_param(i);
    *name = e->names.at(static_cast<std::size_t>(i)).c_str();
    *ndim = static_cast<int32_t>(t.dim());
    *rows = t.size(0);
    *cols = t.dim() == 2 ? t.size(1) : 1;
  });
}

int32_t api_get_param(MtHandle h, int64_t i, double* out) {
  return guarded([&] {
    Ensemble* e = as_ensemble(h);
    if (i < 0 || i >= e->num_params()) throw std::out_of_range("parameter index out of range");
    auto t = e->flat_param(i).detach().to(torch::kCPU, torch::kFloat64).contiguous();
    std::copy_n(t.data_ptr<double>(), t.numel(), out);
  });
}

int32_t api_set_param(MtHandle h, int64_t i, const double* in) {
  return guarded([&] {
    Ensemble* e = as_ensemble(h);
    if (i < 0 || i >= e->num_params()) throw std::out_of_range("parameter index out of range");
    auto& t = e->flat_param(i);
    auto src = torch::from_blob(const_cast<double*>(in), t.sizes(), torch::TensorOptions().dtype(torch::kFloat64));
    torch::NoGradGuard no_grad;
    t.copy_(src);
  });
}

const MtApi kApi = {
    MATOPT_TORCH_ABI_VERSION, api_last_error,  api_describe,        api_create,     api_destroy,
    api_clone,                api_set_element_table, api_build,     api_fit,        api_fit_summary,
    api_num_members,          api_predict_members,   api_num_params, api_param_info, api_get_param,
    api_set_param,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const MtApi* matopt_torch_plugin_api(void) { return &kApi; }
