// A lab loop in C++: create a campaign, then for several rounds propose a batch, "measure" it with a
// simulated instrument, and ingest the results — the same calls `matopt init/propose/ingest` make.
#include <matopt/campaign/campaign.hpp>
#include <matopt/core/csv.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// The "instrument": a smooth hardness landscape over a Fe-Ni-Co-Cr alloy annealed at temperature T,
// and a cost that grows with Co and Ni. Stands in for real measurements.
double hardness(double fe, double ni, double co, double cr, double temperature) {
  const double t = (temperature - 900.0) / 300.0;
  return 300.0 + 250.0 * cr * (1.0 - cr) + 120.0 * co * fe - 80.0 * (ni - 0.3) * (ni - 0.3) - 40.0 * t * t;
}
double cost(double ni, double co) { return 10.0 + 30.0 * co + 12.0 * ni; }

const char* kSpace = R"({
  "schema_version": 1,
  "composition": {"elements": ["Fe", "Ni", "Co", "Cr"], "bounds": {"Fe": [0.2, 0.8]},
                  "granularity": 0.01},
  "process": [{"name": "anneal_T", "type": "continuous", "bounds": [600, 1200], "unit": "K"}],
  "linear_constraints": [{"terms": {"Ni": 1, "Co": 1}, "<=": 0.5}],
  "objectives": [{"name": "hardness", "goal": "maximize", "unit": "HV"},
                 {"name": "cost", "goal": "minimize"}]
})";

}  // namespace

int main() {
  const fs::path dir = fs::temp_directory_path() / "matopt_example_lab_loop";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path file = dir / "campaign.h5";

  auto campaign = matopt::Campaign::create(file, kSpace, dir, std::nullopt, /*seed=*/7);
  matopt::CampaignProposeOptions options;
  options.q = 4;

  for (int round = 1; round <= 4; ++round) {
    const auto proposals = campaign.propose(options);
    const fs::path sheet = dir / ("round" + std::to_string(round) + ".csv");
    campaign.write_lab_csv(proposals, sheet);

    // The lab fills in the sheet: find the output columns by name and write the measured values.
    matopt::CsvTable table = matopt::read_csv(sheet);
    auto column_starting = [&](const std::string& prefix) {
      for (std::size_t c = 0; c < table.header.size(); ++c)
        if (table.header[c].rfind(prefix, 0) == 0) return c;
      throw std::runtime_error("lab sheet has no column " + prefix);
    };
    const auto c_fe = table.column("Fe"), c_ni = table.column("Ni"), c_co = table.column("Co"),
               c_cr = table.column("Cr"), c_t = column_starting("anneal_T");
    const auto c_h = column_starting("hardness"), c_cost = column_starting("cost");
    for (auto& row : table.rows) {
      const double fe = std::stod(row[c_fe]), ni = std::stod(row[c_ni]), co = std::stod(row[c_co]),
                   cr = std::stod(row[c_cr]), t = std::stod(row[c_t]);
      row[c_h] = matopt::format_double(hardness(fe, ni, co, cr, t));
      row[c_cost] = matopt::format_double(cost(ni, co));
    }
    matopt::write_csv(sheet, table.header, table.rows);

    const auto summary = campaign.ingest(sheet);
    std::printf("round %d: proposed %zu, ingested %zu\n", round, proposals.size(), summary.added);
    if (summary.added != proposals.size()) return 1;
  }

  const auto status = campaign.status();
  std::printf("%s\n", status.to_text().c_str());
  // Four rounds of four: sixteen measurements, nothing pending, a growing hypervolume.
  if (status.measurements != 16 || status.pending != 0) return 1;
  if (status.hypervolume.size() < 2 || !(status.hypervolume.back() > 0.0)) return 1;
  fs::remove_all(dir);
  return 0;
}
