// SPDX-License-Identifier: MIT
#include "matopt/featurize/pipeline.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "core/parallel.hpp"
#include "matopt/core/archive.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"
#include "matopt/core/log.hpp"
#include "matopt/featurize/featurizer.hpp"

namespace matopt {

namespace {

constexpr int kSchemaVersion = 1;

bool spec_is_none(const std::string& s) { return s.empty() || s == "none"; }

/// Encoder of one process column, with statistics fitted on training data.
struct ProcessEncoder {
  std::string name;
  ColumnType type = ColumnType::Continuous;
  bool log = false;
  double mean = 0.0, scale = 1.0;         // Continuous / Integer: (v - mean) / scale
  std::vector<std::string> categories;    // Categorical: one-hot order
  std::unordered_map<std::string, std::size_t> index;  // label -> position, rebuilt on load

  std::size_t size() const { return type == ColumnType::Categorical ? categories.size() : 1; }
  void build_index() {
    index.clear();
    for (std::size_t k = 0; k < categories.size(); ++k) index.emplace(categories[k], k);
  }
};

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) {
    if (!s.empty()) s += ", ";
    s += x;
  }
  return s;
}

// Data rows are named as a spreadsheet shows them (header = row 1).
std::size_t sheet_row(std::size_t i) { return i + 2; }

[[noreturn]] void bad_cell(const Column& col, std::size_t i, const std::string& what) {
  throw DataError(format_location(Location{"", sheet_row(i), col.name, col.text(i)}, what));
}

double encoded_number(const ProcessEncoder& enc, const Column& col, std::size_t i) {
  double v = col.values[i];
  if (!std::isfinite(v)) bad_cell(col, i, "process value must be a finite number");
  if (enc.type == ColumnType::Integer && v != std::floor(v)) bad_cell(col, i, "expected a whole number");
  if (enc.log) {
    if (!(v > 0.0)) bad_cell(col, i, "log-scaled column needs values > 0");
    v = std::log(v);
  }
  return v;
}

}  // namespace

struct Pipeline::Impl {
  PipelineOptions options;
  bool fitted = false;
  bool use_composition = false;
  std::unique_ptr<Featurizer> composition;
  std::vector<ProcessEncoder> process;

  Impl() = default;
  Impl(Impl&&) = default;
  Impl& operator=(Impl&&) = default;
  Impl(const Impl& o)
      : options(o.options), fitted(o.fitted), use_composition(o.use_composition),
        composition(o.composition ? o.composition->clone() : nullptr), process(o.process) {}

  FeaturizerOptions featurizer_options() const {
    FeaturizerOptions fo;
    fo.impute_missing = options.impute_missing;
    fo.strict_missing = options.strict_missing;
    for (const auto& s : options.elements) {
      int z = element_z(s);
      if (z == 0) throw InvalidArgument("pipeline elements: '" + s + "' is not an element symbol");
      fo.elements.push_back(z);
    }
    return fo;
  }

  std::size_t size() const {
    std::size_t n = composition && use_composition ? composition->size() : 0;
    for (const auto& e : process) n += e.size();
    return n;
  }

  const Column& find_column(const Dataset& d, const std::string& name) const {
    for (const auto& c : d.process)
      if (c.name == name) return c;
    std::vector<std::string> names;
    for (const auto& c : d.process) names.push_back(c.name);
    throw DataError("process column '" + name + "' used in training is missing (process columns: " +
                    (names.empty() ? std::string("none") : join(names)) + ")");
  }
};

Pipeline::Pipeline() : impl_(std::make_unique<Impl>()) {}
Pipeline::Pipeline(PipelineOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  // Validate the spec now so a typo fails before any data is read.
  if (!spec_is_none(impl_->options.features)) (void)make_featurizer(impl_->options.features, impl_->featurizer_options());
}
Pipeline::Pipeline(const Pipeline& o) : impl_(std::make_unique<Impl>(*o.impl_)) {}
Pipeline& Pipeline::operator=(const Pipeline& o) {
  if (this != &o) impl_ = std::make_unique<Impl>(*o.impl_);
  return *this;
}
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;
Pipeline::~Pipeline() = default;

void Pipeline::fit(const Dataset& train) {
  Impl next;
  next.options = impl_->options;
  const auto& opt = next.options;

  if (!spec_is_none(opt.features)) {
    if (train.has_composition()) {
      next.use_composition = true;
      next.composition = make_featurizer(opt.features, next.featurizer_options());
      if (train.compositions.size() != train.rows())
        throw DataError("dataset has " + std::to_string(train.rows()) + " rows but " +
                        std::to_string(train.compositions.size()) + " compositions");
      for (std::size_t i = 0; i < train.rows(); ++i)
        if (train.compositions[i].empty())
          throw DataError(format_location(Location{"", sheet_row(i), train.composition_column, ""},
                                          "empty composition (expected at least one element)"));
      if (next.composition->needs_fit()) next.composition->fit(train.compositions);
    } else {
      // Process-only datasets (e.g. synthesis conditions) have nothing to featurize compositionally.
      log_info("pipeline: dataset has no composition column; composition featurizers '" + opt.features +
               "' are not used");
    }
  }

  for (const auto& lc : opt.log_columns) {
    bool found = false;
    for (const auto& c : train.process)
      if (c.name == lc) {
        found = true;
        if (c.type != ColumnType::Continuous && c.type != ColumnType::Integer)
          throw InvalidArgument("log scaling needs a numeric column; '" + lc + "' is " + std::string(to_string(c.type)));
      }
    if (!found) {
      std::vector<std::string> names;
      for (const auto& c : train.process) names.push_back(c.name);
      throw InvalidArgument("log column '" + lc + "' is not a process column (process columns: " +
                            (names.empty() ? std::string("none") : join(names)) + ")");
    }
  }

  if (opt.use_process) {
    for (const auto& col : train.process) {
      if (col.values.size() != train.rows())
        throw DataError("process column '" + col.name + "' has " + std::to_string(col.values.size()) +
                        " values for " + std::to_string(train.rows()) + " rows");
      ProcessEncoder enc;
      enc.name = col.name;
      enc.type = col.type;
      enc.log = std::find(opt.log_columns.begin(), opt.log_columns.end(), col.name) != opt.log_columns.end();
      if (col.type == ColumnType::Categorical) {
        for (std::size_t i = 0; i < col.values.size(); ++i) {
          double v = col.values[i];
          if (!std::isfinite(v) || v < 0 || v != std::floor(v) || v >= static_cast<double>(col.categories.size()))
            bad_cell(col, i, "missing or invalid category");
        }
        enc.categories = col.categories;
        enc.build_index();
      } else if (col.type == ColumnType::Boolean) {
        for (std::size_t i = 0; i < col.values.size(); ++i)
          if (col.values[i] != 0.0 && col.values[i] != 1.0) bad_cell(col, i, "expected a boolean (0/1)");
      } else {
        // Standardize with population statistics of the training rows only.
        const std::size_t n = col.values.size();
        double sum = 0.0;
        for (std::size_t i = 0; i < n; ++i) sum += encoded_number(enc, col, i);
        enc.mean = n ? sum / static_cast<double>(n) : 0.0;
        double ss = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
          double d = encoded_number(enc, col, i) - enc.mean;
          ss += d * d;
        }
        double sd = n ? std::sqrt(ss / static_cast<double>(n)) : 0.0;
        enc.scale = (sd > 0.0 && std::isfinite(sd)) ? sd : 1.0;  // constant column -> centred only
      }
      next.process.push_back(std::move(enc));
    }
  }
  next.fitted = true;
  *impl_ = std::move(next);
}

Eigen::MatrixXd Pipeline::transform(const Dataset& data) const {
  const Impl& im = *impl_;
  if (!im.fitted) throw InvalidArgument("Pipeline::transform called before fit");
  const std::size_t n = data.rows(), d = im.size();
  Eigen::MatrixXd X(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(d));
  Eigen::Index col0 = 0;
  if (im.use_composition) {
    if (!data.has_composition() || data.compositions.size() != n)
      throw DataError("the pipeline was fitted with composition features ('" + im.options.features +
                      "') but the data has no composition column");
    X.leftCols(static_cast<Eigen::Index>(im.composition->size())) =
        featurize_compositions(*im.composition, data.compositions, im.options.threads, 2);
    col0 += static_cast<Eigen::Index>(im.composition->size());
  }
  for (const auto& enc : im.process) {
    const Column& col = im.find_column(data, enc.name);
    if (col.values.size() != n)
      throw DataError("process column '" + col.name + "' has " + std::to_string(col.values.size()) +
                      " values for " + std::to_string(n) + " rows");
    const bool num_ok = (enc.type == ColumnType::Continuous || enc.type == ColumnType::Integer) &&
                        (col.type == ColumnType::Continuous || col.type == ColumnType::Integer);
    if (col.type != enc.type && !num_ok)
      throw DataError("process column '" + col.name + "' is " + std::string(to_string(col.type)) +
                      " but was " + std::string(to_string(enc.type)) + " in training");
    if (enc.type == ColumnType::Categorical) {
      const auto k = static_cast<Eigen::Index>(enc.categories.size());
      X.middleCols(col0, k).setZero();
      for (std::size_t i = 0; i < n; ++i) {
        double v = col.values[i];
        if (!std::isfinite(v) || v < 0 || v != std::floor(v) || v >= static_cast<double>(col.categories.size()))
          bad_cell(col, i, "missing or invalid category");
        const std::string& label = col.categories[static_cast<std::size_t>(v)];
        auto it = enc.index.find(label);
        if (it == enc.index.end())
          bad_cell(col, i, "category not seen in training (known: " + join(enc.categories) + ")");
        X(static_cast<Eigen::Index>(i), col0 + static_cast<Eigen::Index>(it->second)) = 1.0;
      }
      col0 += k;
    } else if (enc.type == ColumnType::Boolean) {
      for (std::size_t i = 0; i < n; ++i) {
        if (col.values[i] != 0.0 && col.values[i] != 1.0) bad_cell(col, i, "expected a boolean (0/1)");
        X(static_cast<Eigen::Index>(i), col0) = col.values[i];
      }
      ++col0;
    } else {
      for (std::size_t i = 0; i < n; ++i)
        X(static_cast<Eigen::Index>(i), col0) = (encoded_number(enc, col, i) - enc.mean) / enc.scale;
      ++col0;
    }
  }
  return X;
}

Eigen::MatrixXd Pipeline::fit_transform(const Dataset& train) {
  fit(train);
  return transform(train);
}

std::vector<std::string> Pipeline::labels() const {
  const Impl& im = *impl_;
  std::vector<std::string> out;
  if (im.use_composition && im.composition) out = im.composition->labels();
  for (const auto& enc : im.process) {
    if (enc.type == ColumnType::Categorical) {
      for (const auto& c : enc.categories) out.push_back(enc.name + "=" + c);
    } else {
      out.push_back(enc.log ? "log(" + enc.name + ")" : enc.name);
    }
  }
  return out;
}

std::size_t Pipeline::size() const { return impl_->size(); }
bool Pipeline::is_fitted() const noexcept { return impl_->fitted; }
const PipelineOptions& Pipeline::options() const noexcept { return impl_->options; }

std::string Pipeline::to_json() const {
  const Impl& im = *impl_;
  nlohmann::json j;
  j["schema_version"] = kSchemaVersion;
  j["features"] = im.options.features;
  j["impute_missing"] = im.options.impute_missing;
  if (im.options.strict_missing) j["strict_missing"] = true;
  j["log_columns"] = im.options.log_columns;
  j["use_process"] = im.options.use_process;
  j["elements"] = im.options.elements;
  j["fitted"] = im.fitted;
  if (im.fitted) {
    j["use_composition"] = im.use_composition;
    std::vector<std::string> fitted_elements;
    if (im.composition)
      for (int z : fitted_fraction_elements(*im.composition)) fitted_elements.emplace_back(element_symbol(z));
    j["fraction_elements"] = fitted_elements;
    nlohmann::json proc = nlohmann::json::array();
    for (const auto& e : im.process) {
      nlohmann::json p;
      p["name"] = e.name;
      p["type"] = std::string(to_string(e.type));
      if (e.type == ColumnType::Categorical) {
        p["categories"] = e.categories;
      } else if (e.type != ColumnType::Boolean) {
        p["log"] = e.log;
        p["mean"] = e.mean;
        p["scale"] = e.scale;
      }
      proc.push_back(std::move(p));
    }
    j["process"] = std::move(proc);
    j["n_features"] = im.size();
  }
  return j.dump(1);
}

Pipeline Pipeline::from_json(const std::string& text) {
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    const int version = j.at("schema_version").get<int>();
    if (version > kSchemaVersion)
      throw DataError("pipeline JSON has schema_version " + std::to_string(version) + "; this matopt reads up to " +
                      std::to_string(kSchemaVersion));
    PipelineOptions opt;
    opt.features = j.at("features").get<std::string>();
    opt.impute_missing = j.at("impute_missing").get<bool>();
    opt.strict_missing = j.value("strict_missing", false);
    opt.log_columns = j.at("log_columns").get<std::vector<std::string>>();
    opt.use_process = j.at("use_process").get<bool>();
    opt.elements = j.value("elements", std::vector<std::string>{});
    Pipeline p(opt);
    Impl& im = *p.impl_;
    if (!j.at("fitted").get<bool>()) return p;
    im.use_composition = j.at("use_composition").get<bool>();
    if (im.use_composition) {
      FeaturizerOptions fo = im.featurizer_options();
      // The fitted element list is restored as given, so `fractions` does not need refitting.
      fo.elements.clear();
      for (const auto& s : j.at("fraction_elements").get<std::vector<std::string>>()) {
        int z = element_z(s);
        if (z == 0) throw DataError("pipeline JSON: '" + s + "' in fraction_elements is not an element");
        fo.elements.push_back(z);
      }
      im.composition = make_featurizer(opt.features, fo);
      if (im.composition->needs_fit()) throw DataError("pipeline JSON: fitted 'fractions' has no element list");
    }
    for (const auto& pj : j.at("process")) {
      ProcessEncoder e;
      e.name = pj.at("name").get<std::string>();
      e.type = column_type_from_string(pj.at("type").get<std::string>());
      if (e.type == ColumnType::Categorical) {
        e.categories = pj.at("categories").get<std::vector<std::string>>();
        e.build_index();
      } else if (e.type != ColumnType::Boolean) {
        e.log = pj.at("log").get<bool>();
        e.mean = pj.at("mean").get<double>();
        e.scale = pj.at("scale").get<double>();
      }
      im.process.push_back(std::move(e));
    }
    im.fitted = true;
    if (j.contains("n_features") && j["n_features"].get<std::size_t>() != im.size())
      throw DataError("pipeline JSON: n_features " + std::to_string(j["n_features"].get<std::size_t>()) +
                      " does not match the described featurizers (" + std::to_string(im.size()) + ")");
    return p;
  } catch (const nlohmann::json::exception& e) {
    throw DataError(std::string("pipeline JSON is malformed: ") + e.what());
  } catch (const InvalidArgument& e) {
    throw DataError(std::string("pipeline JSON is invalid: ") + e.what());
  }
}

void Pipeline::save(Archive& out) const {
  out.set_attr("schema_version", static_cast<std::int64_t>(kSchemaVersion));
  out.set_attr("json", to_json());
  if (is_fitted()) out.set("labels", labels());
}

Pipeline Pipeline::load(const Archive& in) {
  try {
    return from_json(in.attr_string("json"));
  } catch (const DataError& e) {
    throw IOError(std::string("stored pipeline cannot be read: ") + e.what());
  }
}

std::vector<std::pair<std::string, std::size_t>> list_featurizers() {
  std::vector<std::pair<std::string, std::size_t>> out;
  for (const auto& n : featurizer_names()) {
    auto f = make_featurizer(n);
    out.emplace_back(n, f->needs_fit() ? 0 : f->size());
  }
  return out;
}

}  // namespace matopt
