// SPDX-License-Identifier: MIT
/// @file
/// @brief A closed-loop optimization campaign kept in one HDF5 file (format "matopt-campaign",
/// version 1, documented in docs/campaign.md): design space, measurements, proposals and the
/// history of commands. Every change rewrites the whole file to a temporary and renames it, under an
/// advisory lock, so a crash leaves either the old or the new state.
#pragma once

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "matopt/acquisition/reference_point.hpp"
#include "matopt/core/csv.hpp"
#include "matopt/core/error.hpp"
#include "matopt/optimize/design_space.hpp"
#include "matopt/optimize/oracle.hpp"

namespace matopt {

/// @brief One problem found while validating a results file.
struct IngestProblem {
  Location where;       ///< file, row (header = row 1), column, offending value
  std::string message;  ///< what was expected
};

/// @brief A results file was rejected; nothing was written. what() lists every problem, one a line.
class IngestError : public DataError {
 public:
  explicit IngestError(std::vector<IngestProblem> problems);
  const std::vector<IngestProblem>& problems() const noexcept { return problems_; }

 private:
  std::vector<IngestProblem> problems_;
};

/// @brief An experiment the campaign asked for.
struct ProposalRecord {
  std::string id;                  ///< "r<round>-<k>", e.g. "r002-03"
  int round = 0;
  std::string state;               ///< "pending", "measured" or "failed"
  std::string formula;             ///< composition as a fractional formula ("" without composition)
  Eigen::VectorXd point;           ///< design point (DesignSpace coordinates: fractions, then process)
  Eigen::VectorXd predicted_mean;  ///< per output (NaN for the initial space-filling design)
  Eigen::VectorXd predicted_std;
  double acquisition = 0.0;        ///< acquisition value when picked (NaN for the initial design)
  std::string strategy;
};

/// @brief One measured (or failed) experiment.
struct MeasurementRecord {
  std::string id;           ///< "m<n>", in order of arrival
  std::string proposal_id;  ///< the proposal it answers ("" for history rows and new compositions)
  int round = 0;            ///< 0 for prior history, else the round of its proposal or of ingestion
  bool failed = false;      ///< the experiment failed; objectives are NaN
  std::string formula;
  Eigen::VectorXd point;       ///< design point (DesignSpace coordinates)
  Eigen::VectorXd outputs;     ///< per DesignSpace output (objectives, then constrained properties); NaN = missing
  std::string source;          ///< file the row came from (file name only)
  std::string key;             ///< content key used to make re-ingestion idempotent
};

/// @brief One command recorded in the campaign history.
struct CommandRecord {
  std::string time;               ///< UTC, ISO 8601
  std::string command;            ///< "init", "propose", "ingest", "status", "report"
  std::vector<std::string> argv;  ///< full command line (or "library" when called from code)
  std::string version;            ///< matopt version that ran it
  std::uint64_t seed = 0;         ///< seed the command used (campaign seed, or the round seed)
  std::string summary;            ///< one line of what it did
};

/// @brief Options of Campaign::propose (what `matopt propose` parses; `bench campaign` and
/// `bench bo` use the same struct and defaults).
struct CampaignProposeOptions {
  int q = 1;
  /// Any name of batch_strategies() (acquisition layer); "" = default_strategy() for the number of
  /// objectives and q.
  std::string strategy;
  /// UCB: mean + sqrt(beta) sd.
  double ucb_beta = 2.0;
  /// Space-filling samples scored in a continuous design space (pools are scored whole).
  int raw_samples = 1024;
  /// Surrogate registry name and JSON options.
  std::string model = "gp";
  std::string model_options;
  /// Model inputs: "point" (design-point coordinates, categoricals one-hot) or a featurizer list
  /// for the composition (e.g. "magpie", "fractions+stoichiometry") followed by the process columns.
  std::string features = "point";
  /// Measurements per output needed before a model is fitted; fewer gives a seeded space-filling
  /// design. 0 = default_min_measurements() of the space.
  int min_measurements = 0;
  /// Scoring threads (0 = all cores); proposals do not depend on it.
  int threads = 0;
  /// Score every feasible point of the space's granularity grid as a candidate pool instead of
  /// sampling and refining (optimize/grid.hpp; process parameters must be categorical or integer).
  /// A grid of more than kMaxEnumeratedCandidates points is refused with a pointer to `matopt screen`.
  bool enumerate_grid = false;
  /// Trust region: propose only candidates whose applicability-domain score (models/domain.hpp:
  /// distance to the nearest measured point in the model's inputs, in units of the measured points'
  /// spacing) is at most this. Infinity = no limit (the default). Needs 2 or more measurements.
  double max_distance = std::numeric_limits<double>::infinity();
};

/// Most grid points `propose` scores as a pool when asked to enumerate the grid.
inline constexpr std::uint64_t kMaxEnumeratedCandidates = 2000000;

/// @brief The strategy `propose` uses when none is given: "ucb" for one objective, "qnehvi" for
/// several (q = 1 and q > 1 alike); docs/campaign.md has the measurements that chose them.
std::string default_strategy(std::size_t objectives, int q);

/// @brief Measurements per output before `propose` fits models when none are given: 3 for a pool
/// (its rows are the domain; the Liang et al. protocol starts after 2), 2 (d + 1) Sobol points for a
/// continuous or mixed space of dimension d (Ax's and BoTorch's initial design size); docs/campaign.md
/// has the measurement.
int default_min_measurements(int dimension, bool pool);

/// @brief One result handed to Campaign::add_results (the in-memory form of a results-file row).
struct ResultRow {
  std::string proposal_id;  ///< the pending proposal it answers; "" = a new point (e.g. prior history)
  Eigen::VectorXd point;    ///< design point; required without proposal_id, else ignored
  Eigen::VectorXd outputs;  ///< per DesignSpace output (NaN = not measured)
  bool failed = false;      ///< the experiment failed (outputs ignored)
};

/// @brief Outcome of Campaign::ingest.
struct IngestSummary {
  std::size_t rows = 0;        ///< data rows in the file
  std::size_t added = 0;       ///< new measurements (ok + failed)
  std::size_t failed = 0;      ///< of which failed experiments
  std::size_t unchanged = 0;   ///< rows already in the campaign (re-ingestion), skipped
  std::vector<std::string> closed;  ///< proposal ids closed by this file
  bool changed() const noexcept { return added > 0; }
};

/// @brief Summary of a campaign (for `matopt status`).
struct CampaignStatus {
  int rounds = 0;                  ///< proposal rounds so far
  std::size_t measurements = 0;    ///< successful measurements
  std::size_t failed = 0;          ///< failed experiments
  std::size_t pending = 0;         ///< open proposals
  std::vector<std::string> objective_names;
  std::vector<std::string> goals;      ///< "maximize", "minimize", "target"
  std::vector<double> best;            ///< per objective, best successful value (NaN if none)
  std::vector<std::string> best_id;    ///< measurement id holding it
  std::vector<std::string> pareto_ids; ///< measurements on the current Pareto front (one objective: the best)
  Eigen::MatrixXd pareto_values;       ///< their objective values, original units
  Eigen::VectorXd ref_point;           ///< hypervolume reference point, original units
  /// Where it came from: "threshold" (stated in the design space), "front" (inferred from the
  /// Pareto front of the measurements) or "mixed".
  std::string ref_point_source;
  /// Hypervolume (one objective: best-so-far) of the measurements available after each round;
  /// element 0 is the prior history, element r the state after round r's results.
  std::vector<double> hypervolume;
  std::vector<std::string> pending_ids;

  std::string to_json() const;  ///< the same content as JSON
  std::string to_text() const;  ///< human-readable table
};

/// @brief A campaign file and the operations on it. Mutating operations take the file lock,
/// re-read the file, apply the change and save atomically; the object then holds the new state.
class Campaign {
 public:
  /// @brief Creates a new campaign file (refuses to overwrite an existing one).
  /// @param space_json design-space JSON text (docs/design-space.md); a pool file is read now and
  /// stored in the campaign, so the campaign does not depend on it later
  /// @param base_dir directory that relative paths in the space (pool) are resolved against
  /// @param history optional CSV of prior measurements (same columns as a results file, without ids)
  /// @param argv command line to record ("library" when empty)
  static Campaign create(const std::filesystem::path& path, const std::string& space_json,
                         const std::filesystem::path& base_dir,
                         const std::optional<std::filesystem::path>& history, std::uint64_t seed,
                         const std::vector<std::string>& argv = {});
  /// @brief Same, with the prior measurements already in memory (e.g. from a DataFrame):
  /// `history.file` names the table in messages and as the measurements' source.
  static Campaign create(const std::filesystem::path& path, const std::string& space_json,
                         const std::filesystem::path& base_dir, const CsvTable& history, std::uint64_t seed,
                         const std::vector<std::string>& argv = {});
  /// @brief Reads a campaign file. Throws IOError if missing, foreign, corrupt or newer.
  static Campaign open(const std::filesystem::path& path);
  /// @brief A campaign held in memory only: the same state and operations as a file campaign
  /// (propose, add_results, status), nothing written. A pool in the space is read now, as by create.
  static Campaign in_memory(const std::string& space_json, const std::filesystem::path& base_dir, std::uint64_t seed);
  /// @brief In-memory campaign over `space` (without a pool file) and candidate rows `pool`
  /// (design points; empty = continuous space). Rows outside the space throw InvalidArgument.
  static Campaign in_memory(const DesignSpace& space, const Eigen::MatrixXd& pool, std::uint64_t seed);
  /// @brief True for campaigns made by in_memory().
  bool is_in_memory() const noexcept { return path_.empty(); }

  /// @brief Fits surrogates on all successful measurements, proposes `options.q` new experiments
  /// (pending proposals count as pending points), records them and returns them. The round seed is
  /// derive_seed(campaign seed, round), so the same file and seed give bit-identical proposals, and
  /// an in-memory campaign with the same measurements gives the same proposals as the file.
  /// With oracles in the space the candidates are a finite set (the pool, the grid with
  /// `enumerate_grid`, else `raw_samples` Sobol points), run through the oracles (cache first) and
  /// scored whole; oracle-backed outputs are exact (docs/oracles.md). Throws OracleError when an
  /// oracle fails; the file is then untouched.
  std::vector<ProposalRecord> propose(const CampaignProposeOptions& options, const std::vector<std::string>& argv = {});

  /// @brief Validates the whole file first (throws IngestError listing every problem, writing
  /// nothing), then appends measurements and closes proposals. Rows already ingested are skipped;
  /// if nothing is new the file is not touched.
  IngestSummary ingest(const std::filesystem::path& results_csv, const std::vector<std::string>& argv = {});
  /// @brief Same on a results table already in memory (header + rows of cell text, e.g. from a
  /// DataFrame): the same validation and the same problem list. `results.file` names the table in
  /// messages and as the measurements' source; rows are numbered as in a CSV file (header = row 1)
  /// unless `results.line_of_row` says otherwise. The CSV overload is a reader on top of this one.
  IngestSummary ingest(const CsvTable& results, const std::vector<std::string>& argv = {});

  /// @brief Adds measurements given as values (what ingest does for a results file): rows answering
  /// a pending proposal close it; rows without one add a new point. Validates every row first
  /// (InvalidArgument naming the 1-based row and field; nothing is added then). File campaigns are
  /// locked, re-read and saved. `source` is recorded as the rows' origin.
  IngestSummary add_results(const std::vector<ResultRow>& rows, const std::string& source = "library",
                            const std::vector<std::string>& argv = {});

  /// @brief Summary of the current state (read-only).
  CampaignStatus status() const;

  /// @brief The hypervolume reference point of proposals and status: each objective's threshold
  /// from the design space, else inferred from the Pareto front of the successful measurements
  /// (front_reference_point). Empty value when neither is available yet.
  ReferencePoint reference_point() const;

  /// @brief Appends a history entry for a read-only command (status, report) and saves.
  void record(const std::string& command, const std::string& summary, const std::vector<std::string>& argv);

  /// @brief Writes the lab CSV for the given proposals: id, composition formula, one column per
  /// element, process columns, empty output columns ("name [unit]" where a unit is declared) and an
  /// empty status column (ok|failed). Outputs computed by an oracle are left out.
  void write_lab_csv(const std::vector<ProposalRecord>& proposals, const std::filesystem::path& path) const;
  /// @brief The lab sheet of write_lab_csv as a table in memory (`file` is empty).
  CsvTable lab_sheet(const std::vector<ProposalRecord>& proposals) const;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::uint64_t seed() const noexcept { return seed_; }
  const std::string& space_json() const noexcept { return space_json_; }
  const DesignSpace& space() const noexcept { return space_; }
  /// @brief Points of the candidate pool stored in the campaign (rows; empty without a pool).
  const Eigen::MatrixXd& pool() const noexcept { return pool_; }
  const std::vector<MeasurementRecord>& measurements() const noexcept { return measurements_; }
  const std::vector<ProposalRecord>& proposals() const noexcept { return proposals_; }
  const std::vector<CommandRecord>& history() const noexcept { return history_; }
  int rounds() const noexcept { return rounds_; }
  /// @brief Values the space's oracles returned so far (stored in the file under /oracle_cache).
  const OracleCache& oracle_cache() const noexcept { return oracle_cache_; }

  /// @brief Text of coordinate `index` of a point (category label for categorical parameters).
  std::string coordinate_text(int index, double value) const;
  /// @brief Fractional formula of a point's composition ("" without a composition block).
  std::string formula_of(const Eigen::VectorXd& point) const;

 private:
  Campaign() = default;
  void load_from(const std::filesystem::path& path);
  static Campaign create_from(const std::filesystem::path& path, const std::string& space_json,
                              const std::filesystem::path& base_dir, const CsvTable* history, std::uint64_t seed,
                              const std::vector<std::string>& argv);
  void save() const;
  void add_history(const std::string& command, const std::string& summary, std::uint64_t seed,
                   const std::vector<std::string>& argv);
  /// Sets the oracle-computed outputs of measurements [first, end) from the cache or by running the
  /// oracles (throws OracleError; nothing is saved then).
  void fill_oracle_outputs(std::size_t first);
  /// fill_oracle_outputs for the last `added` measurements; if an oracle fails, restores the state
  /// before them (`before_*`, taken when the space has oracles) so that this object, like the file,
  /// is left as it was (in-memory campaigns are not re-read), and rethrows.
  void fill_new_oracle_outputs(std::size_t added, std::vector<MeasurementRecord>& before_measurements,
                               std::vector<ProposalRecord>& before_proposals);

  std::filesystem::path path_;
  std::uint64_t seed_ = 0;
  std::string space_json_;
  std::string created_;
  DesignSpace space_;
  Eigen::MatrixXd pool_;
  std::vector<MeasurementRecord> measurements_;
  std::vector<ProposalRecord> proposals_;
  std::vector<CommandRecord> history_;
  int rounds_ = 0;
  OracleCache oracle_cache_;
};

/// @brief Writes `DIR/index.html` (self-contained, inline SVG: Pareto front measured vs proposed
/// with error bars, hypervolume/best-so-far per round, parity plot and calibration curve from k-fold
/// cross-validation of the surrogate) and the CSV tables behind the plots. Returns the files written.
std::vector<std::filesystem::path> write_campaign_report(const Campaign& campaign, const std::filesystem::path& dir,
                                                         std::uint64_t seed = 0);

}  // namespace matopt
