// SPDX-License-Identifier: MIT
// Torch-free facade of the deep ensemble. It parses options, standardizes data, turns the members'
// outputs into the predictive mixture, draws joint samples and (de)serializes through Archive; the
// networks themselves live in the dlopen plugin libmatopt_torch.so behind the C table in
// models/torch/plugin_abi.hpp, which is loaded the first time an ensemble is created.
#include "matopt/models/deep_ensemble.hpp"

#include <dlfcn.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "matopt/core/archive.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/core/rng.hpp"
#include "matopt/featurize/featurizer.hpp"
#include "models/torch/plugin_abi.hpp"

namespace matopt {
namespace {

constexpr const char* kPluginFile = "libmatopt_torch.so";
constexpr const char* kPluginEnv = "MATOPT_TORCH_PLUGIN";
constexpr std::int64_t kSchemaVersion = 3;  // 2: x_min/x_max, option clamp_inputs; 3: attention, loss, optimizer

// ---- plugin loading ------------------------------------------------------------------------------

struct Plugin {
  const MtApi* api = nullptr;
  std::string path;
};

struct Loader {
  std::mutex mutex;
  bool tried = false;
  std::shared_ptr<const Plugin> plugin;
  std::string error;
};

Loader& loader() {
  static Loader instance;
  return instance;
}

// Directory of the binary that holds this code: libmatopt.so, or an executable that embeds the
// library's objects (the per-layer test programs).
std::filesystem::path own_directory() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&deep_ensemble_available), &info) == 0 || info.dli_fname == nullptr) return {};
  std::error_code ec;
  auto p = std::filesystem::weakly_canonical(std::filesystem::path(info.dli_fname), ec);
  if (ec) p = std::filesystem::path(info.dli_fname);
  return p.parent_path();
}

std::vector<std::string> candidate_paths() {
  if (const char* env = std::getenv(kPluginEnv); env != nullptr && *env != '\0') return {env};
  std::vector<std::string> out;
  const auto dir = own_directory();
  if (dir.empty()) return {kPluginFile};  // let the dynamic loader search
  out.push_back((dir / kPluginFile).string());
  // Build tree and install tree keep executables in bin/ and libraries in lib/.
  const auto sibling = (dir.parent_path() / "lib" / kPluginFile).lexically_normal().string();
  if (sibling != out.front()) out.push_back(sibling);
  return out;
}

std::shared_ptr<const Plugin> try_load(std::string& error) {
  std::ostringstream why;
  why << "the deep ensemble needs the libtorch plugin, which could not be loaded";
  for (const auto& path : candidate_paths()) {
    void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* e = dlerror();
      why << "; tried '" << path << "': " << (e ? e : "unknown dlopen error");
      continue;
    }
    dlerror();
    auto entry = reinterpret_cast<MtApiEntry>(dlsym(lib, MATOPT_TORCH_API_SYMBOL));
    if (entry == nullptr) {
      why << "; '" << path << "' has no symbol " << MATOPT_TORCH_API_SYMBOL << " (not a matopt torch plugin)";
      dlclose(lib);
      continue;
    }
    const MtApi* api = entry();
    if (api == nullptr || api->abi_version != MATOPT_TORCH_ABI_VERSION) {
      why << "; '" << path << "' has plugin ABI version " << (api ? api->abi_version : -1) << ", expected "
          << MATOPT_TORCH_ABI_VERSION << " (rebuild it with this libmatopt)";
      dlclose(lib);
      continue;
    }
    // Never dlclose'd: libtorch registers global state that does not survive unloading.
    auto plugin = std::make_shared<Plugin>();
    plugin->api = api;
    plugin->path = path;
    log_debug("deep ensemble: loaded " + path + " (" + api->describe() + ")");
    return plugin;
  }
  why << ". Set " << kPluginEnv << " to the plugin's path, or build with -DMATOPT_WITH_TORCH=ON.";
  error = why.str();
  return nullptr;
}

std::shared_ptr<const Plugin> plugin_or_throw() {
  Loader& l = loader();
  std::lock_guard<std::mutex> lock(l.mutex);
  if (!l.tried) {
    l.plugin = try_load(l.error);
    l.tried = true;
  }
  if (!l.plugin) throw BackendError(l.error);
  return l.plugin;
}

// ---- options -------------------------------------------------------------------------------------

using nlohmann::json;

const std::vector<std::string> kOptionKeys = {"members",      "hidden",       "activation",          "epochs",
                                              "batch_size",   "learning_rate", "weight_decay",       "patience",
                                              "validation_fraction", "threads", "min_variance", "dtype", "device",
                                              "clamp_inputs", "architecture", "loss", "optimizer", "schedule",
                                              "clip_norm",    "d_model",      "heads",              "attention_layers",
                                              "feedforward"};
const std::vector<std::string> kActivations = {"relu", "tanh", "silu", "gelu"};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

[[noreturn]] void bad_option(const std::string& key, const std::string& expected, const json& got) {
  throw InvalidArgument("deep ensemble option '" + key + "': expected " + expected + " (got " + got.dump() + ")");
}

int get_int(const json& j, const std::string& key, int lo, int hi) {
  const json& v = j.at(key);
  if (!v.is_number_integer() || v.get<long long>() < lo || v.get<long long>() > hi)
    bad_option(key, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", v);
  return v.get<int>();
}

double get_double(const json& j, const std::string& key, double lo, double hi, bool open_hi = false) {
  const json& v = j.at(key);
  if (!v.is_number()) bad_option(key, "a number", v);
  const double x = v.get<double>();
  if (!std::isfinite(x) || x < lo || x > hi || (open_hi && x >= hi)) {
    std::ostringstream e;
    e << "a number in [" << lo << ", " << hi << (open_hi ? ")" : "]");
    bad_option(key, e.str(), v);
  }
  return x;
}

std::string get_choice(const json& j, const std::string& key, const std::vector<std::string>& valid) {
  const json& v = j.at(key);
  if (!v.is_string() || std::find(valid.begin(), valid.end(), v.get<std::string>()) == valid.end())
    bad_option(key, "one of " + join(valid), v);
  return v.get<std::string>();
}

struct ParsedOptions {
  MtOptions mt{};
  int threads_requested = 0;  // 0 = all cores, resolved when used
  bool clamp_inputs = false;  // predict at the nearest point of the training rows' bounding box
  std::string canonical;      // the full option set as JSON, stored with the model
};

ParsedOptions parse_options(const std::string& text) {
  json j = json::object();
  if (text.find_first_not_of(" \t\r\n") != std::string::npos) {
    try {
      j = json::parse(text);
    } catch (const json::parse_error& e) {
      throw InvalidArgument(std::string("deep ensemble options are not valid JSON: ") + e.what());
    }
    if (!j.is_object()) throw InvalidArgument("deep ensemble options must be a JSON object (got " + j.dump() + ")");
  }
  for (const auto& [key, value] : j.items())
    if (std::find(kOptionKeys.begin(), kOptionKeys.end(), key) == kOptionKeys.end())
      throw InvalidArgument("unknown deep ensemble option '" + key + "'; valid options: " + join(kOptionKeys));

  json full = {{"members", 5},           {"hidden", {64, 64}},  {"activation", "relu"}, {"epochs", 200},
               {"batch_size", 64},       {"learning_rate", 3e-3}, {"weight_decay", 1e-4}, {"patience", 40},
               {"validation_fraction", 0.1}, {"threads", 0},    {"min_variance", 1e-6}, {"dtype", "float64"},
               {"device", "cpu"},        {"clamp_inputs", false}, {"architecture", "mlp"}, {"loss", "gaussian"},
               {"optimizer", "adam"},    {"schedule", "constant"}, {"clip_norm", 0.0}, {"d_model", 64},
               {"heads", 4},             {"attention_layers", 3}, {"feedforward", 128}};
  for (const auto& [key, value] : j.items()) full[key] = value;

  ParsedOptions p;
  MtOptions& o = p.mt;
  o.members = get_int(full, "members", 1, 1000);
  const json& hidden = full.at("hidden");
  if (!hidden.is_array() || hidden.size() > MATOPT_TORCH_MAX_LAYERS)
    bad_option("hidden", "an array of at most " + std::to_string(MATOPT_TORCH_MAX_LAYERS) + " layer widths", hidden);
  o.n_hidden = static_cast<int32_t>(hidden.size());
  for (std::size_t i = 0; i < hidden.size(); ++i) {
    if (!hidden[i].is_number_integer() || hidden[i].get<long long>() < 1 || hidden[i].get<long long>() > 1000000)
      bad_option("hidden", "positive integer layer widths", hidden);
    o.hidden[i] = hidden[i].get<int32_t>();
  }
  const auto act = get_choice(full, "activation", kActivations);
  o.activation = act == "tanh" ? MT_TANH : act == "silu" ? MT_SILU : act == "gelu" ? MT_GELU : MT_RELU;
  o.epochs = get_int(full, "epochs", 1, 1000000);
  o.batch_size = get_int(full, "batch_size", 1, 1 << 30);
  o.learning_rate = get_double(full, "learning_rate", 1e-12, 10.0);
  o.weight_decay = get_double(full, "weight_decay", 0.0, 1e3);
  o.patience = get_int(full, "patience", 1, 1000000);
  o.validation_fraction = get_double(full, "validation_fraction", 0.0, 1.0, /*open_hi=*/true);
  p.threads_requested = get_int(full, "threads", 0, 4096);
  o.min_variance = get_double(full, "min_variance", 1e-12, 1.0);
  o.dtype = get_choice(full, "dtype", {"float64", "float32"}) == "float32" ? MT_FLOAT32 : MT_FLOAT64;
  o.device = get_choice(full, "device", {"cpu", "cuda"}) == "cuda" ? MT_CUDA : MT_CPU;
  if (!full.at("clamp_inputs").is_boolean()) bad_option("clamp_inputs", "true or false", full.at("clamp_inputs"));
  p.clamp_inputs = full.at("clamp_inputs").get<bool>();
  o.architecture = get_choice(full, "architecture", {"mlp", "attention"}) == "attention" ? MT_ATTENTION : MT_MLP;
  o.loss = get_choice(full, "loss", {"gaussian", "laplace"}) == "laplace" ? MT_LAPLACE : MT_GAUSSIAN;
  o.optimizer = get_choice(full, "optimizer", {"adam", "adamw"}) == "adamw" ? MT_ADAMW : MT_ADAM;
  o.schedule = get_choice(full, "schedule", {"constant", "cosine"}) == "cosine" ? MT_COSINE : MT_CONSTANT;
  o.clip_norm = get_double(full, "clip_norm", 0.0, 1e6);
  o.slots = static_cast<int32_t>(kElementSlots);
  o.d_model = get_int(full, "d_model", 1, 4096);
  o.heads = get_int(full, "heads", 1, 256);
  if (o.architecture == MT_ATTENTION && o.d_model % o.heads != 0)
    bad_option("heads", "a divisor of d_model = " + std::to_string(o.d_model), full.at("heads"));
  o.attention_layers = get_int(full, "attention_layers", 0, 64);
  o.feedforward = get_int(full, "feedforward", 1, 1 << 20);
  o.threads = p.threads_requested > 0 ? p.threads_requested
                                      : static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
  p.canonical = full.dump();
  return p;
}

// ---- the surrogate -------------------------------------------------------------------------------

struct HandleDeleter {
  std::shared_ptr<const Plugin> plugin;
  void operator()(void* h) const {
    if (h != nullptr) plugin->api->destroy(h);
  }
};
using Handle = std::unique_ptr<void, HandleDeleter>;

void progress_callback(void* context, std::int64_t done, std::int64_t total) noexcept {
  try {
    static_cast<Progress*>(context)->update(static_cast<std::size_t>(done));
  } catch (...) {  // a failed redraw must not unwind into the plugin
  }
}

using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void check_finite(const Eigen::MatrixXd& X, const std::string& what) {
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    for (Eigen::Index j = 0; j < X.cols(); ++j)
      if (!std::isfinite(X(i, j))) {
        std::ostringstream e;
        e << "deep ensemble " << what << ": X row " << i << ", column " << j << " (0-based) is " << X(i, j)
          << "; expected a finite number";
        throw DataError(e.str());
      }
}

// The attention architecture reads its tokens from the columns of featurizer `element_slots`: atomic
// numbers in the first kElementSlots columns, fractions in the next, filled slots first.
void check_slots(const Eigen::MatrixXd& X, const std::string& what) {
  const auto S = static_cast<Eigen::Index>(kElementSlots);
  if (X.cols() < 2 * S)
    throw DataError("deep ensemble " + what + ": the attention architecture needs the " + std::to_string(2 * S) +
                    " columns of featurizer 'element_slots' first; X has " + std::to_string(X.cols()) +
                    " columns (use --features element_slots)");
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    Eigen::Index filled = 0;
    while (filled < S && X(i, filled) != 0.0) ++filled;
    for (Eigen::Index j = 0; j < S; ++j) {
      const double z = X(i, j), x = X(i, S + j);
      const bool ok = j < filled ? (z >= 1 && z <= kMaxZ && z == std::floor(z) && x > 0 && x <= 1) : (z == 0 && x == 0);
      if (!ok || filled == 0) {
        std::ostringstream e;
        e.precision(17);
        e << "deep ensemble " << what << ": X row " << i << ", element slot " << j << " (0-based) holds (" << z << ", "
          << x << "); expected the layout of featurizer 'element_slots' (an atomic number 1.." << kMaxZ
          << " and a fraction in (0, 1] per filled slot, filled slots first, then zeros; use --features element_slots)";
        throw DataError(e.str());
      }
    }
  }
}

// Element descriptors for the attention tokens: every Magpie property, standardized over the elements
// Z = 1..103 that have it (the range every table covers); a missing value is the mean, 0.
RowMajor element_property_table() {
  const ElementTable& t = ElementTable::instance();
  const auto p = static_cast<Eigen::Index>(t.property_names().size());
  RowMajor out = RowMajor::Zero(kMaxZ + 1, p);
  for (Eigen::Index j = 0; j < p; ++j) {
    double sum = 0.0, sum2 = 0.0;
    int count = 0;
    for (int z = 1; z <= 103; ++z) {
      const double v = t.value(static_cast<int>(j), z);
      if (!std::isfinite(v)) continue;
      sum += v;
      sum2 += v * v;
      ++count;
    }
    if (count == 0) continue;
    const double mean = sum / count;
    const double sd = std::sqrt(std::max(1e-12, sum2 / count - mean * mean));
    for (int z = 1; z <= kMaxZ; ++z) {
      const double v = t.value(static_cast<int>(j), z);
      out(z, j) = std::isfinite(v) ? (v - mean) / sd : 0.0;
    }
  }
  return out;
}

class DeepEnsemble final : public Surrogate {
 public:
  DeepEnsemble(const std::string& options_json, std::uint64_t seed, bool classification)
      : options_(parse_options(options_json)), seed_(seed), classification_(classification) {
    plugin_ = plugin_or_throw();
    handle_ = create_handle();
  }

  std::string kind() const override { return "ensemble"; }
  bool is_fitted() const noexcept override { return fitted_; }

  void fit(const Eigen::MatrixXd& X, const Eigen::VectorXd& y, const Eigen::VectorXd& noise_variance) override {
    if (X.rows() == 0) throw DataError("deep ensemble fit: X has zero rows; expected at least one");
    if (X.cols() == 0) throw DataError("deep ensemble fit: X has zero columns; expected at least one feature");
    if (y.size() != X.rows())
      throw DataError("deep ensemble fit: y has " + std::to_string(y.size()) + " values but X has " +
                      std::to_string(X.rows()) + " rows");
    check_finite(X, "fit");
    if (attention()) check_slots(X, "fit");
    for (Eigen::Index i = 0; i < y.size(); ++i) {
      if (!std::isfinite(y(i)))
        throw DataError("deep ensemble fit: y row " + std::to_string(i) + " (0-based) is not finite");
      if (classification_ && y(i) != 0.0 && y(i) != 1.0) {
        std::ostringstream e;
        e << "deep ensemble fit: y row " << i << " (0-based) is " << y(i)
          << "; a classification ensemble expects 0 or 1";
        throw DataError(e.str());
      }
    }
    if (noise_variance.size() > 0)
      log_info("deep ensemble: noise_variance is ignored (each member learns its own noise variance)");

    // Column scalers; a constant column gets scale 1 so it standardizes to zero instead of NaN.
    const double n = static_cast<double>(X.rows());
    x_mean_ = X.colwise().mean().transpose();
    x_scale_ = ((X.rowwise() - x_mean_.transpose()).array().square().colwise().sum() / n).sqrt().transpose();
    for (Eigen::Index j = 0; j < x_scale_.size(); ++j)
      if (!(x_scale_(j) > 1e-12 * std::max(1.0, std::abs(x_mean_(j))))) x_scale_(j) = 1.0;
    x_min_ = X.colwise().minCoeff().transpose();
    x_max_ = X.colwise().maxCoeff().transpose();
    if (attention()) {  // tokens pass through as they are; only the columns after them are scaled
      x_mean_.head(2 * kSlots).setZero();
      x_scale_.head(2 * kSlots).setOnes();
    }
    if (classification_) {
      y_mean_ = 0.0;
      y_scale_ = 1.0;
    } else {
      y_mean_ = y.mean();
      y_scale_ = std::sqrt((y.array() - y_mean_).square().sum() / n);
      if (!(y_scale_ > 1e-12 * std::max(1.0, std::abs(y_mean_)))) y_scale_ = 1.0;  // constant target
    }
    const RowMajor Xs = standardize(X);
    const Eigen::VectorXd ys = (y.array() - y_mean_) / y_scale_;

    fitted_ = false;
    Progress progress("deep ensemble", static_cast<std::size_t>(options_.mt.members) * options_.mt.epochs);
    call(api().fit(handle_.get(), Xs.data(), Xs.rows(), Xs.cols(), ys.data(), &progress_callback, &progress),
         "fit");
    progress.finish();
    n_features_ = X.cols();
    fitted_ = true;
    log_info("deep ensemble fitted on " + std::to_string(X.rows()) + " x " + std::to_string(X.cols()) + " (" +
             std::to_string(options_.mt.threads) + " threads): " + api().fit_summary(handle_.get()));
  }

  Prediction predict(const Eigen::MatrixXd& X) const override {
    const auto [means, vars] = members(X, "predict");
    const auto M = static_cast<double>(means.rows());
    Prediction p;
    const Eigen::RowVectorXd mu = means.colwise().mean();
    const Eigen::RowVectorXd epi = (means.rowwise() - mu).array().square().colwise().sum() / M;
    const Eigen::RowVectorXd alea = vars.colwise().mean();
    p.mean = (mu.transpose().array() * y_scale_ + y_mean_).matrix();
    const double s2 = y_scale_ * y_scale_;
    p.epistemic_variance = epi.transpose() * s2;
    p.aleatoric_variance = alea.transpose() * s2;
    p.variance = p.epistemic_variance + p.aleatoric_variance;
    return p;
  }

  // A joint sample is one member's mean function (probability for classification) at every row of
  // X, the member drawn uniformly: the ensemble is treated as a uniform posterior over M functions.
  // Samples are therefore consistent across points but take at most M distinct values per point.
  Eigen::MatrixXd sample_joint(const Eigen::MatrixXd& X, int n_samples, std::uint64_t seed) const override {
    if (n_samples < 0) throw InvalidArgument("deep ensemble sample_joint: n_samples must be >= 0");
    const auto [means, vars] = members(X, "sample_joint");
    Rng rng(seed);
    Eigen::MatrixXd out(n_samples, X.rows());
    for (int s = 0; s < n_samples; ++s) {
      const auto m = static_cast<Eigen::Index>(uniform_index(rng, static_cast<std::uint64_t>(means.rows())));
      out.row(s) = (means.row(m).array() * y_scale_ + y_mean_).matrix();
    }
    return out;
  }

  void save(Archive& out) const override {
    out.set_attr("kind", std::string("ensemble"));
    out.set_attr("schema_version", kSchemaVersion);
    out.set_attr("options", options_.canonical);
    out.set_attr("seed", static_cast<std::int64_t>(seed_));  // modular: round-trips through uint64
    out.set_attr("classification", static_cast<std::int64_t>(classification_ ? 1 : 0));
    out.set_attr("fitted", static_cast<std::int64_t>(fitted_ ? 1 : 0));
    if (!fitted_) return;
    out.set_attr("n_features", static_cast<std::int64_t>(n_features_));
    out.set_attr("y_mean", y_mean_);
    out.set_attr("y_scale", y_scale_);
    out.set_attr("fit_summary", std::string(api().fit_summary(handle_.get())));
    out.set("x_mean", x_mean_);
    out.set("x_scale", x_scale_);
    out.set("x_min", x_min_);
    out.set("x_max", x_max_);
    Archive& w = out.child("weights");
    const std::int64_t count = api().num_params(handle_.get());
    for (std::int64_t i = 0; i < count; ++i) {
      const auto info = param_info(i);
      RowMajor buf(info.rows, info.cols);
      call(api().get_param(handle_.get(), i, buf.data()), "save");
      if (info.ndim == 1)
        w.set(info.name, Eigen::VectorXd(Eigen::Map<const Eigen::VectorXd>(buf.data(), info.rows)));
      else
        w.set(info.name, Eigen::MatrixXd(buf));
    }
  }

  void load(const Archive& in) override {
    if (!in.has_attr("kind") || in.attr_string("kind") != "ensemble")
      throw IOError("deep ensemble load: the archive group is not a deep ensemble (kind '" +
                    (in.has_attr("kind") ? in.attr_string("kind") : std::string("missing")) + "')");
    const std::int64_t version = in.attr_int("schema_version");
    if (version < 1 || version > kSchemaVersion)
      throw IOError("deep ensemble load: schema_version " + std::to_string(version) + " is not supported (this build reads up to " +
                    std::to_string(kSchemaVersion) + ")");
    ParsedOptions options = parse_options(in.attr_string("options"));
    const auto seed = static_cast<std::uint64_t>(in.attr_int("seed"));
    const bool classification = in.attr_int("classification") != 0;
    const bool fitted = in.attr_int("fitted") != 0;

    // Build into temporaries and commit only when everything has been read; on failure the model
    // is left as it was.
    ParsedOptions old_options = std::move(options_);
    const std::uint64_t old_seed = seed_;
    const bool old_class = classification_;
    options_ = std::move(options);
    seed_ = seed;
    classification_ = classification;
    try {
      plugin_ = plugin_or_throw();
      Handle h = create_handle();
      Eigen::VectorXd x_mean, x_scale, x_min, x_max;
      std::int64_t d = 0;
      double y_mean = 0.0, y_scale = 1.0;
      if (fitted) {
        d = in.attr_int("n_features");
        y_mean = in.attr_double("y_mean");
        y_scale = in.attr_double("y_scale");
        x_mean = in.vector("x_mean");
        x_scale = in.vector("x_scale");
        if (x_mean.size() != d || x_scale.size() != d)
          throw IOError("deep ensemble load: x_mean/x_scale have " + std::to_string(x_mean.size()) + "/" +
                        std::to_string(x_scale.size()) + " entries, expected n_features = " + std::to_string(d));
        if (version >= 2) {
          x_min = in.vector("x_min");
          x_max = in.vector("x_max");
          if (x_min.size() != d || x_max.size() != d || (x_min.array() > x_max.array()).any())
            throw IOError("deep ensemble load: x_min/x_max must have n_features = " + std::to_string(d) +
                          " entries with x_min <= x_max");
        } else {  // version 1 files have no box (and no clamp_inputs option)
          x_min = Eigen::VectorXd::Constant(d, -std::numeric_limits<double>::infinity());
          x_max = Eigen::VectorXd::Constant(d, std::numeric_limits<double>::infinity());
        }
        call(api().build(h.get(), d), "load");
        const Archive& w = in.child("weights");
        const std::int64_t count = api().num_params(h.get());
        for (std::int64_t i = 0; i < count; ++i) {
          const auto info = param_info(i, h.get());
          RowMajor buf(info.rows, info.cols);
          if (info.ndim == 1) {
            const Eigen::VectorXd& v = w.vector(info.name);
            if (v.size() != info.rows) throw IOError(shape_error(info, v.size(), 1));
            buf = Eigen::Map<const RowMajor>(v.data(), info.rows, 1);
          } else {
            const Eigen::MatrixXd& m = w.matrix(info.name);
            if (m.rows() != info.rows || m.cols() != info.cols) throw IOError(shape_error(info, m.rows(), m.cols()));
            buf = m;
          }
          call(api().set_param(h.get(), i, buf.data()), "load");
        }
      }
      handle_ = std::move(h);
      x_mean_ = std::move(x_mean);
      x_scale_ = std::move(x_scale);
      x_min_ = std::move(x_min);
      x_max_ = std::move(x_max);
      y_mean_ = y_mean;
      y_scale_ = y_scale;
      n_features_ = d;
      fitted_ = fitted;
    } catch (...) {
      options_ = std::move(old_options);
      seed_ = old_seed;
      classification_ = old_class;
      throw;
    }
  }

  std::unique_ptr<Surrogate> clone() const override { return std::unique_ptr<Surrogate>(new DeepEnsemble(*this)); }

 private:
  DeepEnsemble(const DeepEnsemble& o)
      : options_(o.options_),
        seed_(o.seed_),
        classification_(o.classification_),
        plugin_(o.plugin_),
        x_mean_(o.x_mean_),
        x_scale_(o.x_scale_),
        x_min_(o.x_min_),
        x_max_(o.x_max_),
        y_mean_(o.y_mean_),
        y_scale_(o.y_scale_),
        n_features_(o.n_features_),
        fitted_(o.fitted_) {
    void* h = api().clone(o.handle_.get());
    if (h == nullptr) throw BackendError(std::string("deep ensemble clone: ") + api().last_error());
    handle_ = Handle(h, HandleDeleter{plugin_});
  }

  struct ParamInfo {
    std::string name;
    std::int32_t ndim = 0;
    std::int64_t rows = 0, cols = 0;
  };

  const MtApi& api() const { return *plugin_->api; }

  void call(std::int32_t status, const char* what) const {
    if (status != 0) throw BackendError(std::string("deep ensemble ") + what + ": " + api().last_error());
  }

  Handle create_handle() const {
    void* h = api().create(&options_.mt, seed_, classification_ ? 1 : 0);
    if (h == nullptr) throw BackendError(std::string("deep ensemble: ") + api().last_error());
    Handle handle(h, HandleDeleter{plugin_});
    if (attention()) {
      const RowMajor table = element_property_table();
      call(api().set_element_table(h, table.data(), table.rows(), table.cols()), "element table");
    }
    return handle;
  }

  static constexpr auto kSlots = static_cast<Eigen::Index>(kElementSlots);
  bool attention() const { return options_.mt.architecture == MT_ATTENTION; }

  ParamInfo param_info(std::int64_t i, void* h = nullptr) const {
    ParamInfo info;
    const char* name = nullptr;
    call(api().param_info(h ? h : handle_.get(), i, &name, &info.ndim, &info.rows, &info.cols), "parameter");
    info.name = name;
    return info;
  }

  static std::string shape_error(const ParamInfo& info, Eigen::Index rows, Eigen::Index cols) {
    return "deep ensemble load: weights/" + info.name + " is " + std::to_string(rows) + " x " + std::to_string(cols) +
           ", expected " + std::to_string(info.rows) + " x " + std::to_string(info.cols) +
           " for the stored options";
  }

  RowMajor standardize(const Eigen::MatrixXd& X) const {
    return ((X.rowwise() - x_mean_.transpose()).array().rowwise() / x_scale_.transpose().array()).matrix();
  }

  // Member means and variances (members x n), standardized target units.
  std::pair<RowMajor, RowMajor> members(const Eigen::MatrixXd& X, const char* what) const {
    if (!fitted_) throw InvalidArgument(std::string("deep ensemble ") + what + ": the model has not been fitted");
    if (X.cols() != n_features_)
      throw DataError(std::string("deep ensemble ") + what + ": X has " + std::to_string(X.cols()) +
                      " columns, the model was fitted on " + std::to_string(n_features_));
    check_finite(X, what);
    if (attention()) check_slots(X, what);
    RowMajor Xs;
    if (options_.clamp_inputs) {
      // Off by default: the growth of the members' disagreement away from the data is the ensemble's
      // epistemic signal, which acquisition functions need. On, it keeps ReLU members from
      // extrapolating linearly to absurd values where a column barely varied in training.
      Eigen::MatrixXd clamped = X;
      for (Eigen::Index j = attention() ? 2 * kSlots : 0; j < clamped.cols(); ++j)
        clamped.col(j) = clamped.col(j).cwiseMax(x_min_(j)).cwiseMin(x_max_(j));
      Xs = standardize(clamped);
    } else {
      Xs = standardize(X);
    }
    const auto M = api().num_members(handle_.get());
    RowMajor means(M, X.rows()), vars(M, X.rows());
    if (X.rows() > 0)
      call(api().predict_members(handle_.get(), Xs.data(), Xs.rows(), Xs.cols(), means.data(), vars.data()), what);
    return {std::move(means), std::move(vars)};
  }

  ParsedOptions options_;
  std::uint64_t seed_ = 0;
  bool classification_ = false;
  std::shared_ptr<const Plugin> plugin_;
  Handle handle_{nullptr, HandleDeleter{}};
  Eigen::VectorXd x_mean_, x_scale_, x_min_, x_max_;
  double y_mean_ = 0.0, y_scale_ = 1.0;
  Eigen::Index n_features_ = 0;
  bool fitted_ = false;
};

}  // namespace

std::unique_ptr<Surrogate> make_deep_ensemble(const std::string& options_json, std::uint64_t seed,
                                              bool classification) {
  return std::make_unique<DeepEnsemble>(options_json, seed, classification);
}

bool deep_ensemble_available(std::string* why) {
  try {
    plugin_or_throw();
    return true;
  } catch (const BackendError& e) {
    if (why != nullptr) *why = e.what();
    return false;
  }
}

void reset_deep_ensemble_loader() {
  Loader& l = loader();
  std::lock_guard<std::mutex> lock(l.mutex);
  l.tried = false;
  l.plugin.reset();
  l.error.clear();
}

}  // namespace matopt
