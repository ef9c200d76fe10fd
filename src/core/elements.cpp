// SPDX-License-Identifier: MIT
#include "matopt/core/elements.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include "matopt/core/error.hpp"

namespace matopt {

namespace {

constexpr std::array<std::string_view, kMaxZ + 1> kSymbols = {
    "",   "H",  "He", "Li", "Be", "B",  "C",  "N",  "O",  "F",  "Ne", "Na", "Mg", "Al", "Si", "P",
    "S",  "Cl", "Ar", "K",  "Ca", "Sc", "Ti", "V",  "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga",
    "Ge", "As", "Se", "Br", "Kr", "Rb", "Sr", "Y",  "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag",
    "Cd", "In", "Sn", "Sb", "Te", "I",  "Xe", "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu",
    "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu", "Hf", "Ta", "W",  "Re", "Os", "Ir", "Pt", "Au",
    "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn", "Fr", "Ra", "Ac", "Th", "Pa", "U",  "Np", "Pu", "Am",
    "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr", "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg",
    "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og"};

constexpr std::array<std::string_view, kMaxZ + 1> kNames = {
    "",            "Hydrogen",     "Helium",      "Lithium",     "Beryllium",   "Boron",
    "Carbon",      "Nitrogen",     "Oxygen",      "Fluorine",    "Neon",        "Sodium",
    "Magnesium",   "Aluminium",    "Silicon",     "Phosphorus",  "Sulfur",      "Chlorine",
    "Argon",       "Potassium",    "Calcium",     "Scandium",    "Titanium",    "Vanadium",
    "Chromium",    "Manganese",    "Iron",        "Cobalt",      "Nickel",      "Copper",
    "Zinc",        "Gallium",      "Germanium",   "Arsenic",     "Selenium",    "Bromine",
    "Krypton",     "Rubidium",     "Strontium",   "Yttrium",     "Zirconium",   "Niobium",
    "Molybdenum",  "Technetium",   "Ruthenium",   "Rhodium",     "Palladium",   "Silver",
    "Cadmium",     "Indium",       "Tin",         "Antimony",    "Tellurium",   "Iodine",
    "Xenon",       "Caesium",      "Barium",      "Lanthanum",   "Cerium",      "Praseodymium",
    "Neodymium",   "Promethium",   "Samarium",    "Europium",    "Gadolinium",  "Terbium",
    "Dysprosium",  "Holmium",      "Erbium",      "Thulium",     "Ytterbium",   "Lutetium",
    "Hafnium",     "Tantalum",     "Tungsten",    "Rhenium",     "Osmium",      "Iridium",
    "Platinum",    "Gold",         "Mercury",     "Thallium",    "Lead",        "Bismuth",
    "Polonium",    "Astatine",     "Radon",       "Francium",    "Radium",      "Actinium",
    "Thorium",     "Protactinium", "Uranium",     "Neptunium",   "Plutonium",   "Americium",
    "Curium",      "Berkelium",    "Californium", "Einsteinium", "Fermium",     "Mendelevium",
    "Nobelium",    "Lawrencium",   "Rutherfordium", "Dubnium",   "Seaborgium",  "Bohrium",
    "Hassium",     "Meitnerium",   "Darmstadtium", "Roentgenium", "Copernicium", "Nihonium",
    "Flerovium",   "Moscovium",    "Livermorium", "Tennessine",  "Oganesson"};

// Symbol lookup without hashing: slot = (first - 'A') * 27 + (second ? second - 'a' + 1 : 0).
constexpr int kSlots = 26 * 27;
constexpr std::array<std::uint8_t, kSlots> make_symbol_index() {
  std::array<std::uint8_t, kSlots> idx{};
  for (int z = 1; z <= kMaxZ; ++z) {
    const auto s = kSymbols[z];
    const int slot = (s[0] - 'A') * 27 + (s.size() > 1 ? s[1] - 'a' + 1 : 0);
    idx[slot] = static_cast<std::uint8_t>(z);
  }
  return idx;
}
constexpr auto kSymbolIndex = make_symbol_index();

double nan() { return std::numeric_limits<double>::quiet_NaN(); }

bool has_elements_dir(const std::filesystem::path& p) {
  std::error_code ec;
  return !p.empty() && std::filesystem::is_directory(p / "elements", ec);
}

// A table is scalar when no line holds more than one whitespace-separated token.
bool read_scalar_table(const std::filesystem::path& file, std::vector<double>& column) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw IOError(file.string() + ": cannot open element property table");
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  column.assign(kMaxZ + 1, nan());
  std::size_t pos = 0;
  int z = 1;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 1;
    auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
    while (!line.empty() && is_space(line.front())) line.remove_prefix(1);
    while (!line.empty() && is_space(line.back())) line.remove_suffix(1);
    if (std::any_of(line.begin(), line.end(), is_space)) return false;  // a list table
    if (z <= kMaxZ && !line.empty()) {
      double v = 0;
      auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), v);
      if (ec == std::errc() && ptr == line.data() + line.size() && !std::isnan(v)) column[z] = v;
    }
    ++z;
  }
  return true;
}

}  // namespace

int element_z(std::string_view symbol) noexcept {
  if (symbol.empty() || symbol.size() > 2) return 0;
  const char a = symbol[0];
  if (a < 'A' || a > 'Z') return 0;
  int second = 0;
  if (symbol.size() == 2) {
    if (symbol[1] < 'a' || symbol[1] > 'z') return 0;
    second = symbol[1] - 'a' + 1;
  }
  return kSymbolIndex[(a - 'A') * 27 + second];
}

std::string_view element_symbol(int z) {
  if (z < 1 || z > kMaxZ)
    throw InvalidArgument("atomic number " + std::to_string(z) + " is out of range (expected 1..118)");
  return kSymbols[z];
}

std::string_view element_name(int z) {
  if (z < 1 || z > kMaxZ)
    throw InvalidArgument("atomic number " + std::to_string(z) + " is out of range (expected 1..118)");
  return kNames[z];
}

std::filesystem::path data_dir() {
  std::vector<std::string> tried;
  if (const char* env = std::getenv("MATOPT_DATA_DIR"); env && *env) {
    std::filesystem::path p(env);
    if (has_elements_dir(p)) return p;
    tried.push_back("$MATOPT_DATA_DIR=" + p.string());
  }
  Dl_info info{};
  if (dladdr(reinterpret_cast<const void*>(&data_dir), &info) != 0 && info.dli_fname) {
    std::error_code ec;
    auto lib = std::filesystem::weakly_canonical(std::filesystem::path(info.dli_fname), ec);
    if (!ec) {
      auto p = lib.parent_path().parent_path() / "share" / "matopt" / "data";
      if (has_elements_dir(p)) return p;
      tried.push_back(p.string());
    }
  }
#ifdef MATOPT_SOURCE_DATA_DIR
  {
    std::filesystem::path p(MATOPT_SOURCE_DATA_DIR);
    if (has_elements_dir(p)) return p;
    tried.push_back(p.string());
  }
#endif
  std::string msg = "cannot find matopt's data directory (a folder holding elements/); tried:";
  for (const auto& t : tried) msg += " " + t + ";";
  msg += " set MATOPT_DATA_DIR to the data folder";
  throw IOError(msg);
}

const ElementTable& ElementTable::instance() {
  static const ElementTable table = load(data_dir());
  return table;
}

ElementTable ElementTable::load(const std::filesystem::path& dir) {
  const auto magpie = dir / "elements" / "magpie";
  std::error_code ec;
  if (!std::filesystem::is_directory(magpie, ec))
    throw IOError(magpie.string() + ": element property folder not found");
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(magpie, ec))
    if (entry.path().extension() == ".table") files.push_back(entry.path());
  if (ec) throw IOError(magpie.string() + ": cannot list folder: " + ec.message());
  std::sort(files.begin(), files.end());
  ElementTable t;
  std::vector<double> col;
  for (const auto& f : files) {
    if (!read_scalar_table(f, col)) continue;
    t.names_.push_back(f.stem().string());
    double sum = 0;
    int n = 0;
    for (int z = 1; z <= kMaxZ; ++z)
      if (!std::isnan(col[z])) sum += col[z], ++n;
    t.impute_.push_back(n > 0 ? sum / n : nan());
    t.columns_.push_back(col);
  }
  if (t.names_.empty()) throw IOError(magpie.string() + ": no scalar *.table files found");
  return t;
}

int ElementTable::property_index(std::string_view name) const {
  auto it = std::lower_bound(names_.begin(), names_.end(), name);
  if (it != names_.end() && *it == name) return static_cast<int>(it - names_.begin());
  std::string msg = "unknown element property '" + std::string(name) + "'; valid properties:";
  for (const auto& n : names_) msg += " " + n;
  throw InvalidArgument(msg);
}

}  // namespace matopt
