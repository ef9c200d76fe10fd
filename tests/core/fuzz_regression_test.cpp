// SPDX-License-Identifier: MIT
// Replays the committed fuzz corpora and crash reproducers (tests/fixtures/fuzz/<target>/) through
// the same entry points as the libFuzzer targets (tests/fuzz/core_targets.hpp).
#include <catch2/catch.hpp>

#include "fuzz/core_targets.hpp"

namespace {

const std::filesystem::path kCorpus = std::filesystem::path(MATOPT_TEST_FIXTURES_DIR) / "fuzz";

template <typename F>
std::size_t replay(const std::string& target, F&& one) {
  const auto files = matopt::fuzz::corpus_files(kCorpus / target);
  for (const auto& file : files) {
    INFO(file.string());
    const auto bytes = matopt::fuzz::read_bytes(file);
    CHECK(one(bytes.data(), bytes.size()) == "");
  }
  return files.size();
}

}  // namespace

TEST_CASE("formula corpus and reproducers parse or throw FormulaError", "[fuzz]") {
  CHECK(replay("formula", matopt::fuzz::fuzz_formula_one) >= 20);
}

TEST_CASE("formula entry point reports broken invariants and honours the option byte", "[fuzz]") {
  // byte 0 = options: bit 0 alloy notation, bit 1 weight %. "Fe-50Ni" is an error without alloy_percent.
  const std::string alloy = std::string(1, '\x01') + "Fe-50Ni";
  const auto* p = reinterpret_cast<const std::uint8_t*>(alloy.data());
  CHECK(matopt::fuzz::fuzz_formula_one(p, alloy.size()) == "");
  const auto c = matopt::Composition::parse("Fe-50Ni", {true, false});  // atomic %: 50/50
  CHECK(c.fraction(26) == Approx(0.5).margin(1e-12));
  CHECK(matopt::fuzz::check_composition(c) == "");
  CHECK_THROWS_AS(matopt::Composition::parse("Fe-50Ni"), matopt::FormulaError);
}

TEST_CASE("csv corpus: parse_csv, the streaming reader and the dataset import agree", "[fuzz]") {
  CHECK(replay("csv", matopt::fuzz::fuzz_csv_one) >= 9);
}

TEST_CASE("corrupted dataset/archive files throw IOError or DataError, never crash", "[fuzz]") {
  const auto files = matopt::fuzz::corpus_files(kCorpus / "archive");
  REQUIRE(files.size() >= 5);
  for (const auto& file : files) {
    INFO(file.string());
    const auto bytes = matopt::fuzz::read_bytes(file);
    const auto copy = matopt::fuzz::scratch_dir() / "replay.h5";
    matopt::fuzz::write_bytes(copy, bytes.data(), bytes.size());
    CHECK(matopt::fuzz::fuzz_h5_core_one(copy) == "");
  }
  // the truncated copy of a valid dataset must be refused with IOError (not read partially)
  const auto truncated = matopt::fuzz::scratch_dir() / "truncated.h5";
  const auto bytes = matopt::fuzz::read_bytes(kCorpus / "archive" / "dataset_truncated.h5");
  matopt::fuzz::write_bytes(truncated, bytes.data(), bytes.size());
  CHECK_THROWS_AS(matopt::read_dataset_h5(truncated), matopt::IOError);
  CHECK_NOTHROW(matopt::read_dataset_h5(kCorpus / "archive" / "dataset.h5"));
}

TEST_CASE("files on which libhdf5 loops forever are refused after the child-process time limit", "[fuzz]") {
  // libhdf5 1.10.8 never returns on these (corrupted variable-length strings); without a checksum
  // header they are parsed in a child process that is killed when MATOPT_HDF5_CHECK_TIMEOUT runs out.
  struct TimeoutEnv {  // restored even when a REQUIRE below fails
    TimeoutEnv() { ::setenv("MATOPT_HDF5_CHECK_TIMEOUT", "1", 1); }
    ~TimeoutEnv() { ::unsetenv("MATOPT_HDF5_CHECK_TIMEOUT"); }
  } timeout_env;
  const auto files = matopt::fuzz::corpus_files(kCorpus / "archive_hang");
  REQUIRE(files.size() == 2);
  for (const auto& file : files) {
    INFO(file.string());
    std::string message;
    try {
      (void)matopt::load_archive(file, "matopt-campaign", 1);
    } catch (const matopt::IOError& e) {
      message = e.what();
    }
    CHECK_THAT(message, Catch::Contains(file.filename().string()) && Catch::Contains("did not finish within 1 s"));
  }
}

TEST_CASE("files on which libhdf5 crashes are refused with IOError naming the signal", "[fuzz]") {
  std::string message;
  try {
    (void)matopt::load_archive(kCorpus / "archive" / "hdf5_segv_H5HG_read.h5", "matopt-campaign", 1);
  } catch (const matopt::IOError& e) {
    message = e.what();
  }
  // under AddressSanitizer the child reports the fault and exits instead of dying by SIGSEGV
  CHECK_THAT(message, Catch::Contains("hdf5_segv_H5HG_read.h5: is corrupt: libhdf5 ") &&
                          (Catch::Contains("signal 11 (SIGSEGV)") || Catch::Contains("exited with code") ||
                           Catch::Contains("signal 6 (SIGABRT)")));
}
