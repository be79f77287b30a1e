// The ClassBench filter file reader. A hand-written scanner rather than
// sscanf: every error names file:line:column of the offending field and what
// was expected there, as the TOML reader's do.
#include "classbench_rules.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <optional>
#include <string_view>
#include <vector>

#include "errors.hpp"
#include "text_input.hpp"

namespace xb {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// One rule line, scanned left to right.
class LineScanner {
 public:
  LineScanner(std::string_view line, const std::string& file, std::uint32_t line_no)
      : line_(line), file_(file), line_no_(line_no) {}

  SourceLocation where(std::size_t pos) const {
    return SourceLocation{file_, line_no_, static_cast<std::uint32_t>(pos + 1)};
  }
  std::size_t pos() const { return pos_; }

  [[noreturn]] void fail(std::size_t pos, const std::string& message) const {
    throw RuleError(where(pos).str() + ": " + message);
  }

  // what is at pos, for error messages: the field up to the next blank
  std::string found(std::size_t pos) const {
    if (pos >= line_.size()) return "the end of the line";
    if (line_[pos] == '\t') return "a tab";
    if (is_blank(line_[pos])) return "a space";
    std::size_t end = pos;
    while (end < line_.size() && !is_blank(line_[end])) ++end;
    return fmt::format("'{}'", line_.substr(pos, end - pos));
  }

  void skip_blanks() {
    while (pos_ < line_.size() && is_blank(line_[pos_])) ++pos_;
  }

  // Fields are separated by tabs in ClassBench's output; any run of blanks
  // is taken, so hand-edited files load too.
  void separator(const char* next_field) {
    if (pos_ < line_.size() && !is_blank(line_[pos_]))
      fail(pos_, fmt::format("expected a tab before the {}, found {}", next_field, found(pos_)));
    skip_blanks();
    if (pos_ >= line_.size()) fail(pos_, fmt::format("expected the {}, found the end of the line", next_field));
  }

  void expect(char c, const std::string& what) {
    if (pos_ >= line_.size() || line_[pos_] != c)
      fail(pos_, fmt::format("expected '{}' {}, found {}", c, what, found(pos_)));
    ++pos_;
  }

  // A decimal number up to max; nullopt (nothing consumed) when there is no digit.
  std::optional<std::uint32_t> decimal(std::uint32_t max) {
    const std::size_t start = pos_;
    std::uint64_t v = 0;
    while (pos_ < line_.size() && is_digit(line_[pos_])) {
      v = v * 10 + static_cast<std::uint64_t>(line_[pos_] - '0');
      if (v > max) {
        pos_ = start;
        return std::nullopt;
      }
      ++pos_;
    }
    if (pos_ == start) return std::nullopt;
    return static_cast<std::uint32_t>(v);
  }

  // "0x" and hex digits, up to max
  std::uint32_t hex(std::uint32_t max, const std::string& what) {
    const std::size_t start = pos_;
    auto bad = [&]() {
      fail(start, fmt::format("{}: expected a hex number 0x0 to {:#x}, found {}", what, max, found(start)));
    };
    if (line_.substr(pos_, 2) != "0x" && line_.substr(pos_, 2) != "0X") bad();
    pos_ += 2;
    std::uint32_t v = 0;
    std::size_t digits = 0;
    for (int d; pos_ < line_.size() && (d = hex_value(line_[pos_])) >= 0; ++pos_, ++digits) {
      v = v * 16 + static_cast<std::uint32_t>(d);
      if (v > max) bad();
    }
    if (digits == 0) bad();
    return v;
  }

  // a.b.c.d/len; host bits beyond len are cleared (ClassBench keeps them)
  Prefix prefix(const char* what) {
    const std::size_t start = pos_;
    Prefix p;
    p.family = Family::V4;
    auto bad = [&]() {
      fail(start, fmt::format("{}: expected an IPv4 prefix such as 10.0.0.0/8, found {}", what, found(start)));
    };
    for (std::size_t i = 0; i < 4; ++i) {
      if (i > 0) {
        if (pos_ >= line_.size() || line_[pos_] != '.') bad();
        ++pos_;
      }
      const auto octet = decimal(255);
      if (!octet) bad();
      p.addr[i] = static_cast<std::uint8_t>(*octet);
    }
    expect('/', fmt::format("and a prefix length after the {} address", what));
    const std::size_t len_at = pos_;
    const auto len = decimal(32);
    if (!len) fail(len_at, fmt::format("{}: expected a prefix length 0 to 32, found {}", what, found(len_at)));
    p.len = static_cast<std::uint8_t>(*len);
    for (unsigned bit = p.len; bit < 32; ++bit) p.addr[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
    return p;
  }

  // "LO : HI"; 0 : 65535 is any port (an empty list)
  std::vector<PortRange> ports(const char* what) {
    const std::size_t start = pos_;
    auto port = [&]() {
      const std::size_t at = pos_;
      const auto v = decimal(65535);
      if (!v) fail(at, fmt::format("{}: expected a port 0 to 65535, found {}", what, found(at)));
      return static_cast<std::uint16_t>(*v);
    };
    const std::uint16_t lo = port();
    skip_blanks();
    expect(':', fmt::format("between the {} range's low and high ends", what));
    skip_blanks();
    const std::uint16_t hi = port();
    if (lo > hi) fail(start, fmt::format("{}: range {} : {} is empty (low > high)", what, lo, hi));
    if (lo == 0 && hi == 65535) return {};
    return {PortRange{lo, hi}};
  }

  // 0x00/0x00 is any protocol, 0xNN/0xFF protocol NN; no other mask means
  // anything to a filter that matches one protocol number.
  std::optional<std::uint8_t> proto() {
    const std::uint32_t value = hex(0xff, "protocol");
    expect('/', "and a mask after the protocol");
    const std::size_t mask_at = pos_;
    const std::uint32_t mask = hex(0xff, "protocol mask");
    if (mask == 0) return std::nullopt;
    if (mask != 0xff)
      fail(mask_at,
           fmt::format("protocol mask {:#04x}: expected 0x00 (any protocol) or 0xFF (exactly {:#04x})", mask, value));
    return static_cast<std::uint8_t>(value);
  }

  // Read for its syntax only: the filter does not match ClassBench's flags.
  void flags() {
    hex(0xffff, "flags");
    expect('/', "and a mask after the flags");
    hex(0xffff, "flags mask");
  }

  void end() {
    skip_blanks();
    if (pos_ < line_.size())
      fail(pos_, fmt::format("expected the end of the line after FLAGS/MASK, found {}", found(pos_)));
  }

  Rule rule(std::size_t number, Action action) {
    Rule r;
    r.name = fmt::format("cb{}", number);
    r.action = action;
    skip_blanks();
    r.where = where(pos_);
    expect('@', "starting a ClassBench rule (@SRC/LEN DST/LEN SPORT DPORT PROTO/MASK FLAGS/MASK)");
    r.src = prefix("source");
    separator("destination prefix");
    r.dst = prefix("destination");
    separator("source port range");
    r.sport = ports("source port");
    separator("destination port range");
    r.dport = ports("destination port");
    separator("protocol (0xNN/0xFF or 0x00/0x00)");
    r.proto = proto();
    separator("flags (0xNNNN/0xNNNN)");
    flags();
    end();
    return r;
  }

 private:
  std::string_view line_;
  const std::string& file_;
  std::uint32_t line_no_;
  std::size_t pos_ = 0;
};

bool blank_line(std::string_view line) {
  for (char c : line)
    if (!is_blank(c)) return false;
  return true;
}

}  // namespace

RuleSet parse_classbench(const std::string& text, const std::string& source_name, Action action) {
  RuleSet set;
  set.source = source_name;
  // ClassBench says nothing of these: the TOML format's defaults
  set.default_action = Action::Pass;
  set.non_ip_action = Action::Pass;
  set.malformed_action = Action::Drop;
  const std::string_view all(text);
  std::uint32_t line_no = 0;
  for (std::size_t start = 0; start < all.size();) {
    const std::size_t nl = all.find('\n', start);
    const std::size_t end = nl == std::string_view::npos ? all.size() : nl;
    const std::string_view line = all.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (blank_line(line)) continue;
    LineScanner scan(line, source_name, line_no);
    if (set.rules.size() == XB_MAX_RULES)
      scan.fail(0, fmt::format("more than the {} rules a table holds", XB_MAX_RULES));
    set.rules.push_back(scan.rule(set.rules.size() + 1, action));
  }
  return set;
}

RuleSet load_classbench_file(const std::string& path, Action action) {
  return parse_classbench(read_text_input(path), path, action);
}

}  // namespace xb
