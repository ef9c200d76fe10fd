// SPDX-License-Identifier: MIT
// The libtorch side of the deep ensemble: M MLPs with a mean and a variance head (or one logit),
// trained with Gaussian NLL (or BCE) by Adam with early stopping. This is the only translation unit
// that includes torch; it is built as the dlopen plugin libmatopt_torch.so and does not link libmatopt,
// so the few helpers it needs (seed derivation, shuffling) are reimplemented here on plain
// std::mt19937_64 output, bit-compatible with core/rng.cpp.
//
// Data arrive already standardized by the facade (src/models/deep_ensemble.cpp), which also turns
// member outputs into the predictive mixture.

#include <ATen/Context.h>
#include <torch/cuda.h>
#include <torch/optim/adam.h>
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

// One MLP as plain tensors: (weight, bias) per layer, the last layer being the output head.
struct Member {
  std::vector<torch::Tensor> params;  // w0, b0, w1, b1, ...
};

struct Ensemble {
  MtOptions opt{};
  std::uint64_t seed = 0;
  bool classification = false;
  int64_t d = -1;
  std::vector<Member> members;
  std::vector<std::string> names;  // parameter names, in flat_param() order
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

  // Fresh members with torch's default Linear initialization, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for
  // weights and biases, drawn from a per-member mt19937_64 so the result does not depend on torch's
  // global generator, on the torch version or on the thread count.
  void build(int64_t dim) {
    if (dim < 1) throw std::invalid_argument("the ensemble needs at least one input column");
    d = dim;
    members.clear();
    names.clear();
    std::vector<int64_t> widths{dim};
    for (int i = 0; i < opt.n_hidden; ++i) widths.push_back(opt.hidden[i]);
    widths.push_back(outputs());
    for (int k = 0; k < opt.members; ++k) {
      std::mt19937_64 rng(derive_seed(derive_seed(seed, static_cast<std::uint64_t>(k)), 0));
      Member m;
      for (std::size_t j = 0; j + 1 < widths.size(); ++j) {
        const int64_t in = widths[j], out = widths[j + 1];
        const double bound = 1.0 / std::sqrt(static_cast<double>(in));
        std::vector<double> w(static_cast<std::size_t>(in * out)), b(static_cast<std::size_t>(out));
        for (double& x : w) x = (2.0 * uniform01(rng) - 1.0) * bound;
        for (double& x : b) x = (2.0 * uniform01(rng) - 1.0) * bound;
        m.params.push_back(to_tensor(w.data(), out, in).set_requires_grad(true));
        m.params.push_back(to_tensor(b.data(), out, 0).set_requires_grad(true));
        names.push_back("member" + std::to_string(k) + "_layer" + std::to_string(j) + "_weight");
        names.push_back("member" + std::to_string(k) + "_layer" + std::to_string(j) + "_bias");
      }
      members.push_back(std::move(m));
    }
  }

  torch::Tensor& flat_param(int64_t i) {
    const auto per = static_cast<int64_t>(members.at(0).params.size());
    return members.at(static_cast<std::size_t>(i / per)).params.at(static_cast<std::size_t>(i % per));
  }
  int64_t num_params() const {
    return members.empty() ? 0 : static_cast<int64_t>(members.size() * members[0].params.size());
  }

  torch::Tensor activate(const torch::Tensor& x) const {
    switch (opt.activation) {
      case MT_TANH: return torch::tanh(x);
      case MT_SILU: return torch::silu(x);
      case MT_GELU: return torch::gelu(x);
      default: return torch::relu(x);
    }
  }

  torch::Tensor forward(const Member& m, torch::Tensor x) const {
    const std::size_t layers = m.params.size() / 2;
    for (std::size_t j = 0; j < layers; ++j) {
      x = torch::addmm(m.params[2 * j + 1], x, m.params[2 * j].t());
      if (j + 1 < layers) x = activate(x);
    }
    return x;
  }

  torch::Tensor variance(const torch::Tensor& raw) const { return torch::softplus(raw) + opt.min_variance; }

  // Mean loss over the rows: Gaussian NLL without the constant, or BCE on the logit.
  torch::Tensor loss(const torch::Tensor& out, const torch::Tensor& y) const {
    if (classification) return torch::binary_cross_entropy_with_logits(out.select(1, 0), y);
    const auto mu = out.select(1, 0);
    const auto var = variance(out.select(1, 1));
    return (0.5 * (torch::log(var) + (y - mu).pow(2) / var)).mean();
  }

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

  // Trains member k on its own split and shuffles; returns its summary line.
  std::string train_member(int k, const torch::Tensor& X, const torch::Tensor& y, Progress& progress) {
    Member& m = members[static_cast<std::size_t>(k)];
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
    if (n_val > 0) {
      auto idx = torch::tensor(val, index_options).to(X.device());
      Xv = X.index_select(0, idx);
      yv = y.index_select(0, idx);
    }

    torch::optim::Adam optim(m.params, torch::optim::AdamOptions(opt.learning_rate).weight_decay(opt.weight_decay));
    double best = std::numeric_limits<double>::infinity();
    std::vector<torch::Tensor> best_params;
    int best_epoch = 0, since_best = 0, epoch = 0;
    const auto n_train = static_cast<int64_t>(train.size());
    const int64_t batch = std::min<int64_t>(opt.batch_size, n_train);
    for (epoch = 1; epoch <= opt.epochs; ++epoch) {
      shuffle(train, rng);
      auto perm = torch::tensor(train, index_options).to(X.device());
      for (int64_t start = 0; start < n_train; start += batch) {
        const auto idx = perm.slice(0, start, std::min(start + batch, n_train));
        auto l = loss(forward(m, X.index_select(0, idx)), y.index_select(0, idx));
        optim.zero_grad();
        l.backward();
        optim.step();
      }
      progress.advance(1);
      if (n_val == 0) continue;
      double v;
      {
        torch::NoGradGuard no_grad;
        v = loss(forward(m, Xv), yv).item<double>();
      }
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
      sum << ", best validation " << (classification ? "BCE " : "NLL ")
          << (classification ? best : best + kHalfLog2Pi) << " at epoch " << best_epoch << " (" << n_val
          << " rows held out)";
    else
      sum << ", no validation rows (n = " << n << ")";
    return sum.str();
  }

  void fit(const double* Xp, int64_t n, int64_t dim, const double* yp, MtProgressFn progress_fn, void* ctx) {
    if (n < 1) throw std::invalid_argument("cannot fit the ensemble on zero rows");
    check_device();
    set_threads();
    summary.clear();
    build(dim);
    const torch::Tensor X = to_tensor(Xp, n, dim);
    const torch::Tensor y = to_tensor(yp, n, 0);
    Progress progress;
    progress.fn = progress_fn;
    progress.ctx = ctx;
    progress.total = static_cast<int64_t>(opt.members) * opt.epochs;
    std::vector<std::string> lines(static_cast<std::size_t>(opt.members));
    try {
      for_each_member([&](int k) { lines[static_cast<std::size_t>(k)] = train_member(k, X, y, progress); });
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
    const torch::Tensor X = to_tensor(Xp, n, dim);
    for_each_member([&](int k) {
      torch::NoGradGuard no_grad;  // thread-local, so set in each worker
      const auto out = forward(members[static_cast<std::size_t>(k)], X);
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
      std::copy_n(mu_h.data_ptr<double>(), n, means + static_cast<int64_t>(k) * n);
      std::copy_n(var_h.data_ptr<double>(), n, variances + static_cast<int64_t>(k) * n);
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
    MATOPT_TORCH_ABI_VERSION, api_last_error,      api_describe,   api_create,    api_destroy,
    api_clone,                api_build,           api_fit,        api_fit_summary, api_num_members,
    api_predict_members,      api_num_params,      api_param_info, api_get_param, api_set_param,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const MtApi* matopt_torch_plugin_api(void) { return &kApi; }
