// SPDX-License-Identifier: MIT
#include <memory>
#include <string>

#include "matopt/core/archive.hpp"
#include "matopt/core/error.hpp"
#include "matopt/models/auto_model.hpp"
#include "matopt/models/deep_ensemble.hpp"
#include "matopt/models/gaussian_process.hpp"
#include "matopt/models/gradient_boosting.hpp"
#include "matopt/models/random_forest.hpp"
#include "matopt/models/surrogate.hpp"

namespace matopt {

std::unique_ptr<Surrogate> make_surrogate(const std::string& kind, const std::string& options_json,
                                          std::uint64_t seed) {
  if (kind == "auto") return std::make_unique<AutoModel>(AutoOptions::from_json(options_json), seed);
  if (kind == "gp") return std::make_unique<GaussianProcess>(GPOptions::from_json(options_json), seed);
  if (kind == "ensemble") return make_deep_ensemble(options_json, seed, false);
  if (kind == "forest") return std::make_unique<RandomForest>(ForestOptions::from_json(options_json), seed);
  if (kind == "boost") return std::make_unique<GradientBoosting>(BoostOptions::from_json(options_json), seed);
  throw InvalidArgument("unknown surrogate '" + kind + "' (valid: auto, gp, ensemble, forest, boost)");
}

std::unique_ptr<Surrogate> load_surrogate(const Archive& in) {
  if (!in.has_attr("kind")) throw IOError("load_surrogate: the archive group has no 'kind' attribute");
  const std::string kind = in.attr_string("kind");
  std::unique_ptr<Surrogate> s;
  if (kind == "auto") s = std::make_unique<AutoModel>();
  else if (kind == "gp") s = std::make_unique<GaussianProcess>();
  else if (kind == "ensemble") s = make_deep_ensemble("", 0, false);  // load() restores the saved settings
  else if (kind == "forest") s = std::make_unique<RandomForest>();
  else if (kind == "boost") s = std::make_unique<GradientBoosting>();
  else throw IOError("load_surrogate: unknown surrogate kind '" + kind + "' in the file (valid: auto, gp, ensemble, forest, boost)");
  s->load(in);
  return s;
}

}  // namespace matopt
