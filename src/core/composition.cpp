// SPDX-License-Identifier: MIT
#include "matopt/core/composition.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "matopt/core/elements.hpp"
#include "matopt/core/error.hpp"

namespace matopt {

class CompositionBuilder {
 public:
  static void assign(Composition& out, const std::uint8_t* z, const double* amount, int n, double total) {
    out.z_.resize(static_cast<std::size_t>(n));
    out.x_.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
      out.z_[i] = z[i];
      out.x_[i] = amount[i] / total;
    }
  }
};

namespace {

struct Term {
  std::uint8_t z;
  double amount;
};

struct Group {
  std::size_t first_term;
  std::size_t open_pos;
  char closer;
};

// Per-thread scratch space so that parse_into allocates nothing once warmed up.
struct Scratch {
  std::vector<Term> terms;
  std::vector<Group> groups;
  std::array<double, kMaxZ + 1> acc{};
  std::array<std::uint8_t, kMaxZ + 1> touched{};
  std::array<double, kMaxZ + 1> sorted_amount{};
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_opener(char c) { return c == '(' || c == '[' || c == '{'; }
bool is_closer(char c) { return c == ')' || c == ']' || c == '}'; }
char closer_of(char c) { return c == '(' ? ')' : c == '[' ? ']' : '}'; }
// U+00B7 MIDDLE DOT in UTF-8.
bool is_middle_dot(std::string_view s, std::size_t i) {
  return i + 1 < s.size() && static_cast<unsigned char>(s[i]) == 0xC2 && static_cast<unsigned char>(s[i + 1]) == 0xB7;
}

[[noreturn]] void fail(std::string_view formula, std::size_t pos, std::string_view token, const std::string& reason) {
  throw FormulaError(std::string(formula), pos, std::string(token), reason);
}

// Token for messages: the character (UTF-8 sequence) at pos.
std::string_view char_at(std::string_view s, std::size_t pos) {
  if (pos >= s.size()) return {};
  std::size_t n = 1;
  const auto c = static_cast<unsigned char>(s[pos]);
  if (c >= 0xC0) n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
  return s.substr(pos, std::min(n, s.size() - pos));
}

class Parser {
 public:
  Parser(std::string_view s, Scratch& sc) : s_(s), sc_(sc) {
    sc_.terms.clear();
    sc_.groups.clear();
  }

  void parse_formula() {
    std::size_t segment_first = 0;  // first term of the current adduct segment
    double segment_mult = 1.0;
    bool expect_segment = true;      // something must follow the start or a separator
    std::size_t segment_pos = 0;
    while (true) {
      skip_spaces();
      if (pos_ >= s_.size()) break;
      const char c = s_[pos_];
      if (is_upper(c)) {
        read_element();
        expect_segment = false;
      } else if (is_opener(c)) {
        sc_.groups.push_back({sc_.terms.size(), pos_, closer_of(c)});
        ++pos_;
      } else if (is_closer(c)) {
        if (sc_.groups.empty()) fail(s_, pos_, s_.substr(pos_, 1), "closing bracket without a matching opening bracket");
        const Group g = sc_.groups.back();
        if (g.closer != c)
          fail(s_, pos_, s_.substr(pos_, 1),
               std::string("bracket mismatch: '") + s_[g.open_pos] + "' at position " + std::to_string(g.open_pos + 1) +
                   " is closed by '" + c + "'");
        if (g.first_term == sc_.terms.size()) fail(s_, g.open_pos, s_.substr(g.open_pos, pos_ + 1 - g.open_pos), "empty brackets");
        sc_.groups.pop_back();
        ++pos_;
        double m = 1.0;
        if (pos_ < s_.size() && is_digit(s_[pos_])) m = read_amount();
        if (m != 1.0)
          for (std::size_t i = g.first_term; i < sc_.terms.size(); ++i) sc_.terms[i].amount *= m;
      } else if (c == '.' || c == '*' || is_middle_dot(s_, pos_)) {
        if (!sc_.groups.empty())
          fail(s_, pos_, char_at(s_, pos_), "adduct separator inside brackets (close the bracket first)");
        if (expect_segment) fail(s_, pos_, char_at(s_, pos_), "adduct separator without a formula before it");
        apply_segment(segment_first, segment_mult);
        segment_pos = pos_;
        pos_ += (c == '.' || c == '*') ? 1 : 2;
        skip_spaces();
        segment_first = sc_.terms.size();
        segment_mult = 1.0;
        if (pos_ < s_.size() && is_digit(s_[pos_])) {
          const std::size_t start = pos_;
          segment_mult = scan_number(start, false);
          check_amount(start, segment_mult);
        }
        expect_segment = true;
      } else if (is_digit(c)) {
        fail(s_, pos_, number_token(pos_), "amount without an element before it");
      } else {
        fail(s_, pos_, char_at(s_, pos_), std::string("unexpected character") + (c == '-' ? " (alloy percent notation is off)" : ""));
      }
    }
    if (!sc_.groups.empty()) {
      const Group g = sc_.groups.back();
      fail(s_, g.open_pos, s_.substr(g.open_pos, 1), "opening bracket is never closed");
    }
    if (expect_segment) {
      if (sc_.terms.empty() && segment_pos == 0) fail(s_, 0, "", "empty formula");
      fail(s_, segment_pos, char_at(s_, segment_pos), "adduct separator without a formula after it");
    }
    apply_segment(segment_first, segment_mult);
  }

  // {"Fe":0.7,"Ni":0.3}
  void parse_dict() {
    ++pos_;  // '{'
    bool first = true;
    while (true) {
      skip_ws();
      if (pos_ >= s_.size()) fail(s_, pos_, "", "dictionary is not closed with '}'");
      if (s_[pos_] == '}') {
        if (first) fail(s_, pos_, "}", "empty dictionary");
        ++pos_;
        break;
      }
      if (!first) {
        if (s_[pos_] != ',') fail(s_, pos_, char_at(s_, pos_), "expected ',' or '}' in dictionary");
        ++pos_;
        skip_ws();
      }
      first = false;
      if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\''))
        fail(s_, pos_, char_at(s_, pos_), "expected a quoted element symbol in dictionary");
      const char q = s_[pos_];
      const std::size_t key_start = pos_ + 1;
      const std::size_t key_end = s_.find(q, key_start);
      if (key_end == std::string_view::npos) fail(s_, pos_, s_.substr(pos_), "unterminated quoted key");
      const std::string_view key = s_.substr(key_start, key_end - key_start);
      const int z = element_z(key);
      if (z == 0) fail(s_, key_start, key, "unknown element symbol");
      pos_ = key_end + 1;
      skip_ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') fail(s_, pos_, char_at(s_, pos_), "expected ':' after dictionary key");
      ++pos_;
      skip_ws();
      const std::size_t vstart = pos_;
      std::size_t vend = vstart;
      while (vend < s_.size() && s_[vend] != ',' && s_[vend] != '}' && !is_space(s_[vend])) ++vend;
      double v = 0;
      const auto [ptr, ec] = std::from_chars(s_.data() + vstart, s_.data() + vend, v);
      if (vend == vstart || ec != std::errc() || ptr != s_.data() + vend)
        fail(s_, vstart, s_.substr(vstart, vend - vstart), "expected a number for element " + std::string(key));
      pos_ = vend;
      check_amount(vstart, v);
      sc_.terms.push_back({static_cast<std::uint8_t>(z), v});
    }
    skip_ws();
    if (pos_ < s_.size()) fail(s_, pos_, s_.substr(pos_), "trailing characters after dictionary");
  }

  // Fe-18Cr-8Ni: base element first, then percent + element pairs; the base is the balance.
  void parse_alloy(bool weight) {
    skip_spaces();
    const std::size_t base_pos = pos_;
    const int base = read_symbol();
    struct Part {
      int z;
      double pct;
    };
    std::array<Part, kMaxZ + 1> parts{};
    int n = 0;
    double sum = 0;
    while (true) {
      skip_spaces();
      if (pos_ >= s_.size()) break;
      if (s_[pos_] != '-') fail(s_, pos_, char_at(s_, pos_), "expected '-' before the next alloying element");
      ++pos_;
      skip_spaces();
      if (pos_ >= s_.size() || !is_digit(s_[pos_])) fail(s_, pos_, char_at(s_, pos_), "expected a percentage after '-'");
      const std::size_t start = pos_;
      const double pct = scan_number(start, false);
      check_amount(start, pct);
      skip_spaces();
      const int z = read_symbol();
      if (n > kMaxZ) fail(s_, start, "", "too many alloying elements");
      parts[n++] = {z, pct};
      sum += pct;
    }
    if (n == 0) fail(s_, base_pos, s_.substr(base_pos), "alloy notation needs at least one '-<percent><element>'");
    if (!(sum < 100.0))
      fail(s_, base_pos, s_.substr(base_pos, 2), "alloying percentages add up to " + std::to_string(sum) +
                                                     " %, leaving nothing for the balance element");
    auto amount = [&](int z, double pct) {
      if (!weight) return pct;
      const auto& t = ElementTable::instance();
      const double w = t.value(t.property_index("AtomicWeight"), z);
      if (!(w > 0)) fail(s_, base_pos, element_symbol(z), "no atomic weight known to convert weight % to atomic %");
      return pct / w;
    };
    sc_.terms.push_back({static_cast<std::uint8_t>(base), amount(base, 100.0 - sum)});
    for (int i = 0; i < n; ++i) sc_.terms.push_back({static_cast<std::uint8_t>(parts[i].z), amount(parts[i].z, parts[i].pct)});
  }

  std::size_t pos_ = 0;

 private:
  void skip_spaces() {
    while (pos_ < s_.size() && is_space(s_[pos_])) ++pos_;
  }
  void skip_ws() {
    while (pos_ < s_.size() && (is_space(s_[pos_]) || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }

  std::string_view number_token(std::size_t p) const {
    std::size_t e = p;
    while (e < s_.size() && (is_digit(s_[e]) || s_[e] == '.')) ++e;
    return s_.substr(p, e - p);
  }

  int read_symbol() {
    const std::size_t start = pos_;
    if (pos_ >= s_.size() || !is_upper(s_[pos_])) fail(s_, pos_, char_at(s_, pos_), "expected an element symbol");
    ++pos_;
    while (pos_ < s_.size() && is_lower(s_[pos_])) ++pos_;
    const std::string_view sym = s_.substr(start, pos_ - start);
    const int z = element_z(sym);
    if (z == 0) fail(s_, start, sym, "unknown element symbol");
    return z;
  }

  void read_element() {
    const int z = read_symbol();
    double amount = 1.0;
    if (pos_ < s_.size() && is_digit(s_[pos_])) amount = read_amount();
    sc_.terms.push_back({static_cast<std::uint8_t>(z), amount});
  }

  void check_amount(std::size_t start, double v) {
    if (std::isnan(v)) fail(s_, start, s_.substr(start, pos_ - start), "amount is not a number");
    if (!(v > 0)) fail(s_, start, s_.substr(start, pos_ - start), "amount must be positive");
    if (!std::isfinite(v)) fail(s_, start, s_.substr(start, pos_ - start), "amount is not finite");
  }

  // Scans digits[.digits][(e|E)[+-]digits] from pos_, returns the value and moves pos_ past it.
  // With allow_split, a '.' that looks like a hydrate separator (see is_adduct_dot) ends the number.
  double scan_number(std::size_t start, bool allow_split) {
    static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                        1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    std::size_t p = start;
    std::uint64_t mantissa = 0;
    int digits = 0, frac_digits = 0;
    bool fast = true;
    while (p < s_.size() && is_digit(s_[p])) {
      if (++digits <= 15) mantissa = mantissa * 10 + static_cast<std::uint64_t>(s_[p] - '0');
      ++p;
    }
    if (p < s_.size() && s_[p] == '.' && p + 1 < s_.size() && is_digit(s_[p + 1]) &&
        !(allow_split && is_adduct_dot(start, p))) {
      ++p;
      while (p < s_.size() && is_digit(s_[p])) {
        if (++digits <= 15) mantissa = mantissa * 10 + static_cast<std::uint64_t>(s_[p] - '0');
        ++frac_digits;
        ++p;
      }
    }
    // 'e'/'E' is an exponent only before a digit or sign+digit: "C1E-3" yes, "Fe1Er" no.
    if (p < s_.size() && (s_[p] == 'e' || s_[p] == 'E')) {
      std::size_t q = p + 1;
      if (q < s_.size() && (s_[q] == '+' || s_[q] == '-')) ++q;
      if (q < s_.size() && is_digit(s_[q])) {
        fast = false;
        p = q;
        while (p < s_.size() && is_digit(s_[p])) ++p;
      }
    }
    pos_ = p;
    // Up to 15 digits the mantissa and the power of ten are exact doubles, so one division is
    // correctly rounded: the same bits as from_chars, several times faster.
    if (fast && digits <= 15) return static_cast<double>(mantissa) / kPow10[frac_digits];
    double v = 0;
    const auto [ptr, ec] = std::from_chars(s_.data() + start, s_.data() + p, v);
    if (ec == std::errc::result_out_of_range) fail(s_, start, s_.substr(start, p - start), "amount is out of range");
    if (ec != std::errc() || ptr != s_.data() + p) fail(s_, start, s_.substr(start, p - start), "malformed number");
    return v;
  }

  double read_amount() {
    const std::size_t start = pos_;
    const double v = scan_number(start, true);
    check_amount(start, v);
    if (v != std::floor(v)) seen_fraction_ = true;
    return v;
  }

  // "CuSO4.5H2O": the '.' at `dot` separates an adduct when the number before it is an integer
  // without leading zero, no fractional amount came earlier, the segment before has >= 2 terms at
  // bracket depth 0, and the text after is an integer multiplier (no leading zero) followed by a
  // formula with >= 2 element symbols including hydrogen and no further '.' (H2O, NH3, HCl, ...).
  // Anything else is a decimal ("Fe0.7", "Te1.5Se1.5", "La5Cu6.33S7O4").
  bool is_adduct_dot(std::size_t start, std::size_t dot) const {
    if (seen_fraction_ || !sc_.groups.empty() || s_[start] == '0') return false;
    std::size_t p = dot + 1;
    if (s_[p] == '0') return false;
    while (p < s_.size() && is_digit(s_[p])) ++p;
    if (p >= s_.size() || !(is_upper(s_[p]) || is_opener(s_[p]))) return false;
    int symbols = 0;
    bool hydrogen = false;
    for (std::size_t q = p; q < s_.size(); ++q) {
      const char c = s_[q];
      if (c == '.') return false;
      if (c == '*' || is_middle_dot(s_, q)) break;
      if (is_upper(c)) {
        ++symbols;
        if ((c == 'H' || c == 'D') && !(q + 1 < s_.size() && is_lower(s_[q + 1]))) hydrogen = true;
      }
    }
    if (symbols < 2 || !hydrogen) return false;
    // Terms in the current segment at depth 0, counting the element this number belongs to.
    std::size_t seg_terms = sc_.terms.size() + 1;  // +1: the term being read is not pushed yet
    return seg_terms >= 2 + segment_first_hint_;
  }

  void apply_segment(std::size_t first, double mult) {
    if (mult != 1.0)
      for (std::size_t i = first; i < sc_.terms.size(); ++i) sc_.terms[i].amount *= mult;
    segment_first_hint_ = sc_.terms.size();
  }

  std::string_view s_;
  Scratch& sc_;
  bool seen_fraction_ = false;
  std::size_t segment_first_hint_ = 0;
};

void finish(std::string_view formula, Scratch& sc, Composition& out) {
  int n = 0;
  for (const Term& t : sc.terms) {
    if (!(t.amount > 0) || !std::isfinite(t.amount)) {
      for (const Term& u : sc.terms) sc.acc[u.z] = 0.0;
      fail(formula, 0, formula, "an amount under- or overflows after applying multipliers");
    }
    if (sc.acc[t.z] == 0.0) sc.touched[n++] = t.z;
    sc.acc[t.z] += t.amount;
  }
  std::sort(sc.touched.begin(), sc.touched.begin() + n);
  double total = 0;
  for (int i = 0; i < n; ++i) {
    sc.sorted_amount[i] = sc.acc[sc.touched[i]];
    total += sc.sorted_amount[i];
    sc.acc[sc.touched[i]] = 0.0;
  }
  if (!(total > 0) || !std::isfinite(total))
    fail(formula, 0, formula, n == 0 ? "no elements in formula" : "total amount is not a positive finite number");
  CompositionBuilder::assign(out, sc.touched.data(), sc.sorted_amount.data(), n, total);
}

}  // namespace

void Composition::parse_into(std::string_view formula, Composition& out, const FormulaOptions& options) {
  Scratch& sc = scratch();
  Parser p(formula, sc);
  std::size_t first = 0;
  while (first < formula.size() && (is_space(formula[first]) || formula[first] == '\n' || formula[first] == '\r')) ++first;
  if (first >= formula.size()) fail(formula, 0, "", "empty formula");
  try {
    if (formula[first] == '{') {
      std::size_t q = first + 1;
      while (q < formula.size() && is_space(formula[q])) ++q;
      if (q < formula.size() && (formula[q] == '"' || formula[q] == '\'' || formula[q] == '}')) {
        p.pos_ = first;
        p.parse_dict();
        finish(formula, sc, out);
        return;
      }
    }
    if (options.alloy_percent && formula.find('-') != std::string_view::npos) {
      p.pos_ = first;
      p.parse_alloy(options.weight_percent);
    } else {
      p.parse_formula();
    }
  } catch (...) {
    // Leave scratch accumulators clean for the next call.
    sc.terms.clear();
    throw;
  }
  finish(formula, sc, out);
}

Composition Composition::parse(std::string_view formula, const FormulaOptions& options) {
  Composition c;
  parse_into(formula, c, options);
  return c;
}

Composition Composition::from_amounts(std::span<const std::pair<int, double>> amounts) {
  std::array<double, kMaxZ + 1> acc{};
  for (const auto& [z, a] : amounts) {
    if (z < 1 || z > kMaxZ)
      throw DataError("composition: atomic number " + std::to_string(z) + " is out of range (expected 1..118)");
    if (!(a >= 0) || !std::isfinite(a))
      throw DataError("composition: amount of " + std::string(element_symbol(z)) + " must be a finite number >= 0 (got " +
                      std::to_string(a) + ")");
    acc[z] += a;
  }
  std::array<std::uint8_t, kMaxZ + 1> zs{};
  std::array<double, kMaxZ + 1> xs{};
  int n = 0;
  double total = 0;
  for (int z = 1; z <= kMaxZ; ++z)
    if (acc[z] > 0) {
      zs[n] = static_cast<std::uint8_t>(z);
      xs[n++] = acc[z];
      total += acc[z];
    }
  if (n == 0) throw DataError("composition: total amount is zero (no element with a positive amount)");
  Composition c;
  CompositionBuilder::assign(c, zs.data(), xs.data(), n, total);
  return c;
}

double Composition::fraction(int z) const noexcept {
  for (std::size_t i = 0; i < z_.size(); ++i)
    if (z_[i] == z) return x_[i];
  return 0.0;
}

std::string Composition::formula(int digits) const {
  std::string out;
  char buf[64];
  if (digits < 1) digits = 1;
  if (digits > 17) digits = 17;
  for (std::size_t i = 0; i < z_.size(); ++i) {
    out += element_symbol(z_[i]);
    std::snprintf(buf, sizeof buf, "%.*g", digits, x_[i]);
    out += buf;
  }
  return out;
}

std::string Composition::reduced_formula() const {
  if (z_.empty()) return {};
  // Order by Pauling electronegativity (cation first, as chemists write Fe2O3, NaCl, H2O);
  // elements without a value go last, ties by Z.
  std::vector<std::size_t> order(z_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::vector<double> chi(z_.size(), std::numeric_limits<double>::infinity());
  try {
    const auto& t = ElementTable::instance();
    const int p = t.property_index("Electronegativity");
    for (std::size_t i = 0; i < z_.size(); ++i) {
      const double v = t.value(p, z_[i]);
      if (!std::isnan(v)) chi[i] = v;
    }
  } catch (const Error&) {
    // Without element data fall back to ascending Z.
  }
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return chi[a] < chi[b]; });

  const double xmin = *std::min_element(x_.begin(), x_.end());
  std::vector<long long> counts(z_.size());
  for (int k = 1; k <= 120; ++k) {
    bool ok = true;
    for (std::size_t i = 0; i < z_.size() && ok; ++i) {
      const double v = x_[i] / xmin * k;
      const double r = std::round(v);
      ok = r >= 1 && r <= 10000 && std::abs(v - r) <= 1e-6 * std::max(1.0, v);
      counts[i] = static_cast<long long>(r);
    }
    if (!ok) continue;
    long long g = 0;
    for (auto c : counts) g = std::gcd(g, c);
    std::string out;
    for (std::size_t i : order) {
      out += element_symbol(z_[i]);
      if (counts[i] / g != 1) out += std::to_string(counts[i] / g);
    }
    return out;
  }
  std::string out;
  char buf[64];
  for (std::size_t i : order) {
    out += element_symbol(z_[i]);
    std::snprintf(buf, sizeof buf, "%.6g", x_[i]);
    out += buf;
  }
  return out;
}

bool Composition::almost_equal(const Composition& other, double tolerance) const noexcept {
  if (z_ != other.z_) return false;
  for (std::size_t i = 0; i < x_.size(); ++i)
    if (!(std::abs(x_[i] - other.x_[i]) <= tolerance)) return false;
  return true;
}

}  // namespace matopt
