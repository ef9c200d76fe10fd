// SPDX-License-Identifier: MIT
/// @file
/// @brief DesignSpace: what may be proposed (composition simplex with bounds, cardinality, granularity
/// and required elements; process parameters; linear inequalities; an optional candidate pool) and what
/// is optimized (objectives and output constraints). JSON format: docs/design-space.md.
///
/// A design point is a fixed coordinate vector: the element fractions in the order of
/// `composition.elements`, then the process parameters in order (natural units, never log-transformed;
/// integers as whole numbers; categoricals as the category index 0..k-1).
#pragma once

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "matopt/acquisition/batch.hpp"
#include "matopt/core/dataset.hpp"

namespace matopt {

/// @brief Bounds on one element's atomic fraction. An element with min > 0 is implicitly required.
struct ElementBound {
  std::string symbol;
  double min = 0.0;
  double max = 1.0;
  bool required = false;  ///< must be present (fraction > 0; at least one granularity step)
};

/// @brief The composition simplex: fractions of `elements` sum to 1.
struct CompositionBlock {
  std::vector<ElementBound> elements;  ///< empty = no composition block
  int max_components = 0;              ///< most non-zero fractions; 0 = no limit
  double granularity = 0.0;            ///< fractions are multiples of this (1/granularity integral); 0 = continuous
  /// Name of the composition column in datasets and pool files.
  std::string column = "composition";
};

enum class ParameterKind { Continuous, Integer, Categorical };

/// @brief One process parameter. Continuous/Integer use [lower, upper]; Categorical uses categories.
struct ProcessParameter {
  std::string name;
  ParameterKind kind = ParameterKind::Continuous;
  double lower = 0.0;
  double upper = 1.0;
  bool log_scale = false;  ///< Continuous only: sample and refine in log space (requires lower > 0)
  std::vector<std::string> categories;
  std::string unit;
};

/// @brief sum_i coefficients[i] * value(names[i]) <= upper, where names are element symbols or
/// continuous/integer process parameter names. (">=" constraints are stored negated.)
struct LinearConstraint {
  std::vector<std::string> names;
  std::vector<double> coefficients;
  double upper = 0.0;
  std::string text;  ///< human-readable form used in messages, e.g. "Ni + Co <= 0.5"
  bool written_as_ge = false;  ///< given as ">=" (kept so to_json_text writes it back the same way)
};

/// @brief min <= descriptor(composition) <= max for one alloy descriptor of the composition block
/// (a name of alloy_descriptor_names() in featurize/alloy.hpp: "VEC", "delta", "omega", ...). A point
/// whose descriptor is NaN (missing element data) violates it. Either bound may be left out (infinite).
struct DescriptorConstraint {
  std::string descriptor;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  /// @brief Human-readable form used in messages, e.g. "VEC >= 8" or "0.9 <= omega <= 5".
  std::string text() const;
};

/// @brief Candidates read from a file instead of sampling the continuous space. Rows that violate the
/// space (bounds, cardinality, granularity, linear constraints, domains) are skipped, so the pool also
/// restricts it.
struct CandidatePool {
  std::filesystem::path file;  ///< .csv (streamed) or .h5/.hdf5 (a matopt dataset)
};

/// @brief An external calculator run on candidate batches through the CSV protocol of
/// docs/oracles.md (stdin: `row,formula,<elements>,<process>`; stdout: one column per output). Its
/// outputs are computed exactly instead of modelled when they are objectives or output constraints,
/// and are appended to the model inputs with `model_input`.
struct OracleSpec {
  std::string name;
  std::vector<std::string> command;  ///< argv, run without a shell (argv[0] looked up in PATH)
  std::vector<std::string> outputs;  ///< output columns it writes
  double timeout_s = 60;             ///< per batch; the process group is killed after it
  int batch = 256;                   ///< candidates per call
  bool model_input = false;          ///< also use the outputs as features of the learned models
  /// Directory the command runs in: "working_dir" of the JSON resolved against the space file's
  /// directory (the default); empty = the caller's working directory. Arguments are not rewritten.
  std::filesystem::path working_dir;
};

/// @brief Everything a DesignSpace is built from (what the JSON holds).
struct DesignSpaceSpec {
  CompositionBlock composition;
  std::vector<ProcessParameter> process;
  std::vector<LinearConstraint> linear_constraints;
  std::vector<DescriptorConstraint> descriptor_constraints;
  std::optional<CandidatePool> pool;
  /// Objectives; `output` is assigned by DesignSpace from output_names().
  std::vector<Objective> objectives;
  /// Output constraints; `output` is assigned by DesignSpace from output_names().
  std::vector<OutcomeConstraint> outcome_constraints;
  std::map<std::string, std::string> units;  ///< optional unit per output name
  std::vector<OracleSpec> oracles;           ///< external calculators (docs/oracles.md)
};

/// @brief Where an oracle-computed value comes from: oracle index and column in its outputs.
struct OracleColumn {
  int oracle = -1;
  int column = -1;
};

/// @brief One reason a point is not in the space.
struct Violation {
  std::string field;    ///< coordinate, constraint or block, e.g. "Ni", "max_components", "Ni + Co <= 0.5"
  std::string message;  ///< what is wrong and what was expected
};

/// @brief A validated design space. Construction checks the specification and detects infeasible
/// spaces up front (throws InvalidArgument with an explanation).
class DesignSpace {
 public:
  DesignSpace() = default;
  /// @brief Validates the specification and checks that the space is not empty. Throws
  /// InvalidArgument naming the field and the reason (e.g. "composition bounds cannot sum to 1").
  explicit DesignSpace(DesignSpaceSpec spec);

  /// @brief Parses the JSON format of docs/design-space.md. A relative pool path is resolved against
  /// `base_dir`. Errors name the field path (e.g. "composition.bounds.Ni[1]") and what was expected.
  static DesignSpace from_json_text(const std::string& text, const std::filesystem::path& base_dir = {});
  /// @brief Reads a JSON file; errors also name the file.
  static DesignSpace from_file(const std::filesystem::path& path);
  /// @brief JSON text that from_json_text() reads back into an equal space.
  std::string to_json_text() const;

  const DesignSpaceSpec& spec() const noexcept { return spec_; }
  /// @brief Coordinates in a design point (elements + process parameters).
  int dimension() const noexcept;
  int num_elements() const noexcept { return static_cast<int>(spec_.composition.elements.size()); }
  int num_process() const noexcept { return static_cast<int>(spec_.process.size()); }
  bool has_composition() const noexcept { return !spec_.composition.elements.empty(); }
  bool has_pool() const noexcept { return spec_.pool.has_value(); }
  /// @brief Element symbols then process parameter names, one per coordinate.
  std::vector<std::string> coordinate_names() const;
  /// @brief Index of a coordinate by name; -1 if absent.
  int coordinate_index(const std::string& name) const;
  /// @brief Effective cardinality limit (max_components or the number of elements).
  int max_components() const noexcept;

  /// @brief Model outputs in order: objective names then constraint-only names (first appearance).
  /// Objective::output and OutcomeConstraint::output index this list; result columns use these names.
  const std::vector<std::string>& output_names() const noexcept { return outputs_; }
  const std::vector<Objective>& objectives() const noexcept { return spec_.objectives; }
  const std::vector<OutcomeConstraint>& outcome_constraints() const noexcept { return spec_.outcome_constraints; }
  const std::vector<OracleSpec>& oracles() const noexcept { return spec_.oracles; }
  bool has_oracles() const noexcept { return !spec_.oracles.empty(); }
  /// @brief The oracle that computes output `name` (an oracle output name); oracle = -1 if none.
  OracleColumn oracle_source(const std::string& name) const;
  /// @brief Oracle outputs used as model inputs, in oracle order (columns appended to the features).
  std::vector<OracleColumn> oracle_model_inputs() const;

  /// @brief Every reason `point` is outside the space (empty = feasible): size, NaN, bounds,
  /// sum-to-one (1e-9), cardinality, granularity multiples, required elements, linear constraints,
  /// integer and categorical domains.
  std::vector<Violation> validate(const Eigen::VectorXd& point) const;
  bool is_feasible(const Eigen::VectorXd& point) const { return validate(point).empty(); }
  /// @brief Whether the element fractions (num_elements() values in the order of composition.elements)
  /// satisfy every descriptor constraint; true when there are none. Allocates nothing (one descriptor
  /// evaluation, well under a microsecond), for screening many candidates.
  bool satisfies_descriptor_constraints(std::span<const double> fractions) const;

  /// @brief Fractional formula of a point's composition (zero fractions dropped, `digits`
  /// significant digits); "" without a composition block or without a non-zero fraction.
  std::string formula_of(const Eigen::VectorXd& point, int digits = 15) const;
  /// @brief Text of coordinate `index` of a point: a categorical parameter's label ("" for an index
  /// outside its categories), otherwise the number (shortest round trip).
  std::string coordinate_text(int index, double value) const;

  /// @brief Design points (rows) as a Dataset with a composition column (zero fractions dropped) and
  /// one process column per parameter, ready for featurization. Ids are "1".."n".
  Dataset to_dataset(const Eigen::MatrixXd& points) const;
  /// @brief The design point of one Dataset row (process columns by name, categoricals by label).
  /// Throws DataError naming the row and column when the row cannot be expressed in this space
  /// (an element outside the list, a missing column, an unknown category).
  Eigen::VectorXd point_from_dataset(const Dataset& data, std::size_t row) const;
  Eigen::MatrixXd points_from_dataset(const Dataset& data) const;

 private:
  DesignSpaceSpec spec_;
  std::vector<std::string> outputs_;
  // Linear constraints resolved to coordinate indices.
  std::vector<std::vector<std::pair<int, double>>> linear_terms_;
  // Descriptor constraints resolved to alloy descriptor indices; atomic numbers of the elements.
  std::vector<int> descriptor_index_;
  std::vector<std::uint8_t> element_z_;
  void check_descriptor_constraints();
  void check_oracles();
  bool descriptor_values(std::span<const double> fractions, double* out) const;
  void add_descriptor_violations(const Eigen::VectorXd& point, std::vector<Violation>& out) const;
  friend struct DesignSpaceAccess;
};

/// @brief Text of a violation list, one "field: message" per line (for exceptions and logs).
std::string describe(const std::vector<Violation>& violations);

}  // namespace matopt
