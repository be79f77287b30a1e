// ClassBench filter files as a rule format: the shipped sets load whole, the
// fields map as docs/rules.md says, every error names file:line:column, and
// --rules tells ClassBench from TOML.
#include "classbench_rules.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "errors.hpp"
#include "rule_files.hpp"

namespace xb {
namespace {

const std::string kData = XB_TEST_DATA "/classbench/";
const char* const kSets[] = {"acl1_1k", "fw1_1k", "ipc1_1k", "acl1_10k", "fw1_10k", "ipc1_10k"};

// tcp, dport 80, any source port
const std::string kLine = "@10.1.2.3/8\t192.168.7.1/24\t0 : 65535\t80 : 80\t0x06/0xFF\t0x0000/0x0000\t";

std::string error_of(const std::string& text) {
  try {
    parse_classbench(text, "cb.txt", Action::Drop);
  } catch (const RuleError& e) {
    return e.what();
  }
  return "(no error)";
}

// A file that removes itself.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& text)
      : path_(std::filesystem::temp_directory_path() / (std::to_string(::getpid()) + "-" + name)) {
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

std::size_t rule_lines(const std::string& path) {
  std::ifstream in(path);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) n += !line.empty() && line[0] == '@';
  return n;
}

TEST(ClassBenchRules, EveryShippedSetLoadsWhole) {
  for (const char* name : kSets) {
    SCOPED_TRACE(name);
    const std::string path = kData + name;
    const RuleSet set = load_classbench_file(path, Action::Drop);
    EXPECT_EQ(set.rules.size(), rule_lines(path));
    EXPECT_GT(set.rules.size(), 700u);
    EXPECT_EQ(set.source, path);
    EXPECT_EQ(set.rules.front().name, "cb1");
    EXPECT_EQ(set.rules.back().name, "cb" + std::to_string(set.rules.size()));
    EXPECT_EQ(set.rules.back().where.str(), path + ":" + std::to_string(set.rules.size()) + ":1");
    // and the same through --rules' sniffing
    EXPECT_EQ(load_rules(path, Action::Drop).rules.size(), set.rules.size());
  }
}

TEST(ClassBenchRules, ReadsEveryField) {
  const RuleSet set = parse_classbench(
      kLine + "\n@0.0.0.0/0\t1.2.3.4/32\t1024 : 65535\t0 : 1023\t0x00/0x00\t0x1000/0x1000\n", "cb.txt", Action::Pass);
  EXPECT_EQ(set.default_action, Action::Pass);
  EXPECT_EQ(set.non_ip_action, Action::Pass);
  EXPECT_EQ(set.malformed_action, Action::Drop);
  ASSERT_EQ(set.rules.size(), 2u);
  const Rule& a = set.rules[0];
  EXPECT_EQ(a.name, "cb1");
  EXPECT_EQ(a.action, Action::Pass);
  EXPECT_EQ(a.src->str(), "10.0.0.0/8");  // host bits cleared
  EXPECT_EQ(a.dst->str(), "192.168.7.0/24");
  EXPECT_TRUE(a.sport.empty());  // 0 : 65535 is any
  ASSERT_EQ(a.dport.size(), 1u);
  EXPECT_EQ(a.dport[0].lo, 80);
  EXPECT_EQ(a.dport[0].hi, 80);
  EXPECT_EQ(a.proto, XB_IPPROTO_TCP);
  EXPECT_FALSE(a.tcp_flags);  // ClassBench's flags are not matched
  EXPECT_EQ(a.where.str(), "cb.txt:1:1");
  const Rule& b = set.rules[1];
  EXPECT_EQ(b.name, "cb2");
  EXPECT_EQ(b.src->str(), "0.0.0.0/0");
  EXPECT_EQ(b.dst->str(), "1.2.3.4/32");
  ASSERT_EQ(b.sport.size(), 1u);
  EXPECT_EQ(b.sport[0].lo, 1024);
  EXPECT_EQ(b.sport[0].hi, 65535);
  EXPECT_EQ(b.dport[0].lo, 0);
  EXPECT_EQ(b.dport[0].hi, 1023);
  EXPECT_FALSE(b.proto);  // 0x00/0x00 is any
  EXPECT_EQ(b.families(), std::vector<Family>{Family::V4});
}

TEST(ClassBenchRules, BlankLinesSpacesAndLowercaseHex) {
  const RuleSet set = parse_classbench("\n  \n  @1.2.3.4/32  5.6.7.8/32   1:2  3 : 4  0x2f/0xff  0x0000/0x0000\r\n\n",
                                       "cb.txt", Action::Drop);
  ASSERT_EQ(set.rules.size(), 1u);
  EXPECT_EQ(set.rules[0].name, "cb1");
  EXPECT_EQ(set.rules[0].where.str(), "cb.txt:3:3");
  EXPECT_EQ(set.rules[0].proto, 0x2f);
  EXPECT_EQ(set.rules[0].action, Action::Drop);
  EXPECT_TRUE(parse_classbench("", "empty.txt", Action::Drop).rules.empty());
}

TEST(ClassBenchRules, ErrorsNameFileLineColumn) {
  const std::string ok = kLine + "\n";
  // the line number counts every line; the column is the field's
  EXPECT_EQ(error_of(ok + ok + "@10.1.2/8\t1.2.3.4/32\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000\n"),
            "cb.txt:3:2: source: expected an IPv4 prefix such as 10.0.0.0/8, found '10.1.2/8'");
  EXPECT_EQ(error_of("@10.1.2.3/33\t1.2.3.4/32\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000"),
            "cb.txt:1:11: source: expected a prefix length 0 to 32, found '33'");
  EXPECT_EQ(error_of("@10.1.2.300/8\t1.2.3.4/32\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000"),
            "cb.txt:1:2: source: expected an IPv4 prefix such as 10.0.0.0/8, found '10.1.2.300/8'");
  EXPECT_EQ(error_of("@10.0.0.0/8\t1.2.3.4\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000"),
            "cb.txt:1:20: expected '/' and a prefix length after the destination address, found a tab");
  EXPECT_EQ(error_of("@10.0.0.0/8\t1.2.3.4/32\t0 : 70000\t0 : 65535\t0x00/0x00\t0x0000/0x0000"),
            "cb.txt:1:28: source port: expected a port 0 to 65535, found '70000'");
  EXPECT_EQ(error_of("@10.0.0.0/8\t1.2.3.4/32\t0 : 65535\t90 : 80\t0x00/0x00\t0x0000/0x0000"),
            "cb.txt:1:34: destination port: range 90 : 80 is empty (low > high)");
  EXPECT_EQ(error_of("@10.0.0.0/8\t1.2.3.4/32\t0 - 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000"),
            "cb.txt:1:26: expected ':' between the source port range's low and high ends, found '-'");
  EXPECT_EQ(error_of("@10.0.0.0/8\t1.2.3.4/32\t0 : 65535\t0 : 65535\t0x06/0x0F\t0x0000/0x0000"),
            "cb.txt:1:49: protocol mask 0x0f: expected 0x00 (any protocol) or 0xFF (exactly 0x06)");
  EXPECT_EQ(error_of("@10.0.0.0/8\t1.2.3.4/32\t0 : 65535\t0 : 65535\t6/0xFF\t0x0000/0x0000"),
            "cb.txt:1:44: protocol: expected a hex number 0x0 to 0xff, found '6/0xFF'");
  EXPECT_EQ(error_of("@10.0.0.0/8\t1.2.3.4/32\t0 : 65535"),
            "cb.txt:1:33: expected the destination port range, found the end of the line");
  EXPECT_EQ(error_of("@10.0.0.0/8\t1.2.3.4/32\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000\tdrop"),
            "cb.txt:1:68: expected the end of the line after FLAGS/MASK, found 'drop'");
  EXPECT_EQ(error_of("[[rule]]\naction = \"drop\"\n"),
            "cb.txt:1:1: expected '@' starting a ClassBench rule (@SRC/LEN DST/LEN SPORT DPORT PROTO/MASK "
            "FLAGS/MASK), found '[[rule]]'");
  EXPECT_EQ(error_of("@10.0.0.0/8\t1.2.3.4/32\t0 : 65535\t0 : 65535\t0x00/0x00\t0x10000/0x0000"),
            "cb.txt:1:54: flags: expected a hex number 0x0 to 0xffff, found '0x10000/0x0000'");
}

TEST(ClassBenchRules, LoadRulesTellsTheFormatsApart) {
  const TempFile cb("rules.cb", "\n\t" + kLine + "\n");
  const TempFile toml("rules.toml", "# a comment\n[[rule]]\naction = \"pass\"\ndst = \"10.0.0.0/8\"\n");
  const RuleSet sniffed_cb = load_rules(cb.path(), Action::Pass);
  ASSERT_EQ(sniffed_cb.rules.size(), 1u);
  EXPECT_EQ(sniffed_cb.rules[0].name, "cb1");
  EXPECT_EQ(sniffed_cb.rules[0].action, Action::Pass);
  EXPECT_EQ(sniffed_cb.source, cb.path());
  const RuleSet sniffed_toml = load_rules(toml.path(), Action::Drop);
  ASSERT_EQ(sniffed_toml.rules.size(), 1u);
  EXPECT_EQ(sniffed_toml.rules[0].dst->str(), "10.0.0.0/8");
  EXPECT_EQ(load_rules("classbench:" + cb.path(), Action::Drop).rules.at(0).action, Action::Drop);
  EXPECT_EQ(load_rules("toml:" + toml.path(), Action::Drop).rules.size(), 1u);
  // a forced format is taken at its word: its own errors, not the other's
  try {
    load_rules("classbench:" + toml.path(), Action::Drop);
    ADD_FAILURE() << "a TOML file read as ClassBench";
  } catch (const RuleError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(toml.path() + ":1:1: expected '@'", 0), 0u) << e.what();
  }
  EXPECT_THROW(load_rules("toml:" + cb.path(), Action::Drop), RuleError);
  try {
    load_rules("/nonexistent/rules", Action::Drop);
    ADD_FAILURE() << "a missing file loaded";
  } catch (const RuleError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("/nonexistent/rules: cannot open rule file", 0), 0u) << e.what();
  }
}

TEST(ClassBenchRules, ActionNames) {
  EXPECT_EQ(action_from_name("drop"), Action::Drop);
  EXPECT_EQ(action_from_name("pass"), Action::Pass);
  EXPECT_THROW(action_from_name("accept"), Error);
}

}  // namespace
}  // namespace xb
