// SPDX-License-Identifier: MIT
/// @file
/// @brief Composition featurizers (magpie, fractions, stoichiometry, valence_orbital), chosen by name,
/// plus batch parse+featurize of formula strings into a caller-provided row-major buffer.
#pragma once

#include <Eigen/Core>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "matopt/core/composition.hpp"

namespace matopt {

/// @brief Maps one Composition to a fixed-length feature row.
///
/// Implementations are immutable after construction/fit and safe to call from many threads at once.
/// @code
///   auto f = make_featurizer("magpie+stoichiometry");
///   std::vector<double> row(f->size());
///   f->featurize(Composition::parse("Fe2O3"), row.data());
/// @endcode
class Featurizer {
 public:
  virtual ~Featurizer() = default;
  /// @brief Registry name ("magpie", "fractions", ...; "a+b" for a composite).
  virtual std::string name() const = 0;
  /// @brief Number of features written per composition.
  virtual std::size_t size() const = 0;
  virtual std::vector<std::string> labels() const = 0;
  /// @brief Writes size() values to `out`. `row` (1-based as in the input file, 0 = unknown) is only
  /// used in error messages. Throws DataError for an empty composition or (fractions) an unseen element.
  virtual void featurize(const Composition& composition, double* out, std::size_t row = 0) const = 0;
  /// @brief Whether fit() must be called before use (fractions without a given element list).
  virtual bool needs_fit() const { return false; }
  /// @brief Learns data-dependent state (the element list of `fractions`) from training compositions.
  virtual void fit(std::span<const Composition> train) { (void)train; }
  virtual std::unique_ptr<Featurizer> clone() const = 0;
};

/// @brief Slots of the `element_slots` featurizer: columns 1..K hold the atomic numbers and K+1..2K
/// the fractions of a composition's elements, largest fraction first, unused slots 0.
inline constexpr std::size_t kElementSlots = 16;

/// @brief Options shared by the element-property featurizers.
struct FeaturizerOptions {
  /// Replace missing elemental values by the property's mean over Z = 1..118 (true) or keep NaN.
  bool impute_missing = true;
  /// `alloy`: a missing element value or pair enthalpy throws DataError naming it (true) instead of
  /// giving NaN for the descriptors that need it (false).
  bool strict_missing = false;
  /// `fractions`: fixed element list (atomic numbers); empty = learn it in fit().
  std::vector<int> elements;
};

/// @brief Builds a featurizer from a spec such as "magpie" or "magpie+stoichiometry+valence_orbital".
/// Throws InvalidArgument naming the unknown part and listing the valid names.
std::unique_ptr<Featurizer> make_featurizer(std::string_view spec, const FeaturizerOptions& options = {});

/// @brief Names of the registered composition featurizers, in registry order.
std::vector<std::string> featurizer_names();

/// @brief Elements (ascending Z) of the fitted `fractions` part of `f` (searching composites); empty if none.
std::vector<int> fitted_fraction_elements(const Featurizer& f);

/// @brief The 22 Magpie properties of matminer's "magpie" preset, in preset order.
const std::vector<std::string>& magpie_properties();
/// @brief The 6 statistics in output order: minimum, maximum, range, mean, avg_dev, mode.
const std::vector<std::string>& magpie_stats();

/// @brief Featurizes every composition into a rows x size() matrix, using `threads` worker threads
/// (0 = all hardware threads) for large inputs. Output is identical for any thread count.
/// `row_offset` is added to the 0-based index to form the row number named in errors.
Eigen::MatrixXd featurize_compositions(const Featurizer& f, std::span<const Composition> compositions,
                                       unsigned threads = 0, std::size_t row_offset = 2);

/// @brief Parses and featurizes `formulas` into `out` (row-major, formulas.size() x f.size()).
/// No allocation per row. Threads split the rows into contiguous chunks (0 = all hardware threads);
/// the result does not depend on the thread count. A bad formula throws DataError naming its row
/// (`first_row` + index) and `column`; with several bad rows, the first one is reported.
void featurize_formulas(const Featurizer& f, std::span<const std::string_view> formulas, double* out,
                        unsigned threads = 1, std::size_t first_row = 2, const std::string& column = "composition",
                        const FormulaOptions& formula_options = {});

}  // namespace matopt
