// SPDX-License-Identifier: MIT
/// @file
/// @brief Results-ingestion and campaign-file entry points shared by the campaign fuzzers and the
/// campaign regression test.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "fuzz/core_targets.hpp"
#include "matopt/campaign/campaign.hpp"
#include "matopt/core/error.hpp"

namespace matopt::fuzz {

/// @brief A small campaign (Ni-Fe-Co + T, one objective, 4 history rows, 2 pending proposals
/// r001-01 and r001-02 from the seeded space-filling design), built once per process.
struct CampaignTemplate {
  std::filesystem::path file;
  std::vector<std::uint8_t> bytes;
};

inline const CampaignTemplate& campaign_template() {
  static const CampaignTemplate t = [] {
    const auto dir = scratch_dir() / "template";
    std::filesystem::create_directories(dir);
    const std::string space =
        R"({"composition": {"elements": ["Ni", "Fe", "Co"], "granularity": 0.1},
            "process": [{"name": "T", "type": "continuous", "bounds": [300, 600]}],
            "objectives": [{"name": "eta", "goal": "minimize", "unit": "V"}]})";
    const auto history = dir / "history.csv";
    const std::string h =
        "composition,T,eta [V]\nNi0.5Fe0.5,400,0.41\nNi0.2Co0.8,500,0.52\nFe1,350,0.60\n"
        "Ni0.1Fe0.2Co0.7,450,0.47\n";
    write_bytes(history, reinterpret_cast<const std::uint8_t*>(h.data()), h.size());
    CampaignTemplate out;
    out.file = dir / "c.h5";
    Campaign c = Campaign::create(out.file, space, dir, history, 3);
    CampaignProposeOptions options;
    options.q = 2;
    options.min_measurements = 1000;  // space-filling design: no model fit, fast and seeded
    c.propose(options);
    out.bytes = read_bytes(out.file);
    return out;
  }();
  return t;
}

/// @brief Ingests the input as a results CSV into a fresh copy of the template campaign.
/// Rejected files must leave the campaign byte-identical; accepted ones must add exactly
/// `added` measurements with unique ids, and ingesting the same file again must add nothing.
inline std::string fuzz_ingest_one(const std::uint8_t* data, std::size_t size) {
  const CampaignTemplate& t = campaign_template();
  const auto dir = scratch_dir() / "ingest";
  std::filesystem::create_directories(dir);
  const auto file = dir / "c.h5";
  const auto results = dir / "results.csv";
  write_bytes(file, t.bytes.data(), t.bytes.size());
  write_bytes(results, data, size);

  Campaign c = Campaign::open(file);
  const std::size_t before = c.measurements().size();
  IngestSummary s;
  try {
    s = c.ingest(results);
  } catch (const Error&) {
    if (read_bytes(file) != t.bytes) return "a rejected ingest changed the campaign file";
    return {};
  }
  const Campaign reopened = Campaign::open(file);
  if (reopened.measurements().size() != before + s.added) return "measurement count differs from summary";
  if (s.failed > s.added || s.added + s.unchanged > s.rows) return "inconsistent ingest summary";
  std::set<std::string> ids;
  for (const auto& m : reopened.measurements())
    if (!ids.insert(m.id).second) return "duplicated measurement id " + m.id;
  const auto after = read_bytes(file);
  IngestSummary again;
  try {
    again = Campaign::open(file).ingest(results);
  } catch (const Error& e) {
    return std::string("re-ingesting an accepted file fails: ") + e.what();
  }
  if (again.added != 0) return "re-ingesting the same file added measurements";
  if (read_bytes(file) != after) return "a no-op re-ingest changed the campaign file";
  return {};
}

/// @brief Opening a corrupted campaign / dataset file (the input is the whole file).
inline std::string fuzz_h5_one(const std::uint8_t* data, std::size_t size) {
  const auto path = scratch_dir() / "input.h5";
  write_bytes(path, data, size);
  if (std::string err = fuzz_h5_core_one(path); !err.empty()) return err;
  try {
    const Campaign c = Campaign::open(path);
    (void)c.status();
  } catch (const Error&) {
  }
  return {};
}

}  // namespace matopt::fuzz
