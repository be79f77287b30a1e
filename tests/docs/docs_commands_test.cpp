// The docs cannot rot: every xdpfilter and xdpbench command line that
// README.md and docs/*.md show must parse with the tools as built. Each is
// run with --check-args (parse, then exit 0 doing nothing; a parse error
// exits 2 as always), so no root, namespace or rule file is needed, and
// checks made after parsing (a hook's name, a file's contents) are not
// reached: this is about flags, subcommands and CLI11's value checks.
//
// Which lines are commands (the conventions the docs keep):
//  * commands are the lines of ```sh blocks and the lines of indented
//    blocks that start with "$ " (a command above its output: the output is
//    not read); of those, the ones whose first word is xdpfilter or xdpbench
//    are checked (a path to them, such as ./build/bench/xdpbench, counts;
//    VAR=value words before it are skipped), others (cmake, ip) are not;
//  * a line ending in '\' goes on on the next; '#' starting a word starts a
//    comment; "&&", "||", ";" and "|" separate commands; a redirection
//    (">", "<", "2>" ...) ends one;
//  * [OPTIONAL] words (from a word starting with '[' to one ending with ']')
//    are checked both left out and given; a word with alternatives, a|b,
//    once with each (the first of every such word, then the second, ...);
//  * <!-- docs-commands: skip --> on the line before a block leaves the
//    block out (for commands that are meant not to parse).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cli_runner.hpp"

namespace xb::testing {
namespace {

namespace fs = std::filesystem;

struct DocCommand {
  std::string place;              // FILE:LINE of the line the command starts on
  std::string tool;               // xdpfilter or xdpbench
  std::vector<std::string> args;  // after the tool's name, one variant
};

struct Word {
  std::string text;
  bool quoted = false;  // had quotes: taken as it is, never expanded
};

// Shell-like words: whitespace separates, quotes group, '#' after
// whitespace starts a comment. Enough for what the docs show.
std::vector<Word> split_words(const std::string& line) {
  std::vector<Word> words;
  Word cur;
  bool in_word = false;
  char quote = 0;
  for (char c : line) {
    if (quote != 0) {
      if (c == quote)
        quote = 0;
      else
        cur.text += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      cur.quoted = in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) words.push_back(cur);
      cur = {};
      in_word = false;
    } else if (c == '#' && !in_word) {
      break;
    } else if (c == ';') {  // "a; b" as "a ; b"
      if (in_word) words.push_back(cur);
      words.push_back({";", false});
      cur = {};
      in_word = false;
    } else {
      cur.text += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(cur);
  return words;
}

bool is_separator(const Word& w) {
  return !w.quoted && (w.text == "&&" || w.text == "||" || w.text == ";" || w.text == "|");
}
bool is_redirection(const Word& w) {
  if (w.quoted || w.text.empty()) return false;
  const std::size_t skip = (w.text[0] >= '0' && w.text[0] <= '9') || w.text[0] == '&' ? 1 : 0;
  return w.text.size() > skip && (w.text[skip] == '>' || w.text[skip] == '<');
}
bool is_assignment(const std::string& w) {
  const auto eq = w.find('=');
  return eq != std::string::npos && eq > 0 &&
         std::all_of(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(eq),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; });
}

// The variants of one command's words: [OPTIONAL] groups left out and given,
// times a|b alternatives taken in step.
std::vector<std::vector<std::string>> variants(const std::vector<Word>& words) {
  std::vector<std::vector<std::string>> out;
  for (const bool with_optional : {false, true}) {
    std::vector<std::vector<std::string>> alternatives;  // per word
    bool in_group = false;
    for (const Word& w : words) {
      std::string text = w.text;
      bool optional = in_group;
      if (!w.quoted && !text.empty() && text.front() == '[') {
        text.erase(0, 1);
        optional = in_group = true;
      }
      if (!w.quoted && !text.empty() && text.back() == ']' && in_group) {
        text.pop_back();
        in_group = false;
      }
      if (optional && !with_optional) continue;
      std::vector<std::string> alts;
      if (w.quoted || text.find('|') == std::string::npos) {
        alts.push_back(text);
      } else {  // --from=iptables|nft: --from=iptables, --from=nft
        const auto eq = text.find('=');
        const std::string flag = eq < text.find('|') ? text.substr(0, eq + 1) : "";
        std::stringstream in(text.substr(flag.size()));
        for (std::string a; std::getline(in, a, '|');) alts.push_back(flag + a);
      }
      alternatives.push_back(alts);
    }
    std::size_t n = 1;
    for (const auto& alts : alternatives) n = std::max(n, alts.size());
    for (std::size_t i = 0; i < n; ++i) {
      std::vector<std::string> v;
      v.reserve(alternatives.size());
      for (const auto& alts : alternatives) v.push_back(alts[std::min(i, alts.size() - 1)]);
      if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
    }
  }
  return out;
}

// Adds the xdpfilter and xdpbench commands of one (joined) shell line.
void add_commands(const std::string& place, const std::string& line, std::vector<DocCommand>& out) {
  const std::vector<Word> words = split_words(line);
  for (std::size_t i = 0; i < words.size();) {
    std::size_t end = i;
    while (end < words.size() && !is_separator(words[end])) ++end;
    std::size_t first = i;
    while (first < end && is_assignment(words[first].text)) ++first;
    if (first < end) {
      const std::string tool = fs::path(words[first].text).filename().string();
      if (tool == "xdpfilter" || tool == "xdpbench") {
        std::size_t last = first + 1;
        while (last < end && !is_redirection(words[last])) ++last;
        const std::vector<Word> args(words.begin() + static_cast<std::ptrdiff_t>(first) + 1,
                                     words.begin() + static_cast<std::ptrdiff_t>(last));
        for (auto& v : variants(args)) out.push_back({place, tool, std::move(v)});
      }
    }
    i = end + 1;
  }
}

std::vector<DocCommand> extract_commands(const std::string& name, const std::string& text) {
  std::vector<DocCommand> out;
  std::stringstream in(text);
  std::string line, previous, pending, pending_place;
  enum class Block { None, Sh, Other, Skipped } block = Block::None;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string place = name + ":" + std::to_string(number);
    if (line.rfind("```", 0) == 0) {
      if (block == Block::None) {
        const bool skip = previous.find("<!-- docs-commands: skip -->") != std::string::npos;
        block = skip ? Block::Skipped : line == "```sh" ? Block::Sh : Block::Other;
      } else {
        block = Block::None;
      }
      pending.clear();
      previous = line;
      continue;
    }
    previous = line;
    std::string shell;
    if (block == Block::Sh) {
      shell = line.rfind("$ ", 0) == 0 ? line.substr(2) : line;
    } else if (block == Block::None && line.rfind("    $ ", 0) == 0) {
      shell = line.substr(6);
    } else if (block == Block::None && !pending.empty() && line.rfind("    ", 0) == 0) {
      shell = line.substr(4);  // an indented command's continuation
    } else {
      pending.clear();
      continue;
    }
    if (pending.empty()) pending_place = place;
    if (!shell.empty() && shell.back() == '\\') {
      shell.pop_back();
      pending += shell + " ";
      continue;
    }
    add_commands(pending_place, pending + shell, out);
    pending.clear();
  }
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string joined(const std::vector<std::string>& args) {
  std::string s;
  // append, not `" " + a`: GCC 12 at -O3 reports a false -Wrestrict in that operator+
  for (const auto& a : args) s.append(" ").append(a);
  return s;
}

CliResult check_args(const DocCommand& c) {
  std::string args = "--check-args";
  for (const auto& a : c.args) args.append(" ").append(shell_quote(a));
  return run_cli(c.tool == "xdpfilter" ? XDPFILTER_PATH : XDPBENCH_PATH, args);
}

// The documents the check reads: README.md and every docs/*.md.
std::vector<fs::path> documents() {
  std::vector<fs::path> docs{fs::path(XB_SOURCE_DIR) / "README.md"};
  std::vector<fs::path> manuals;
  for (const auto& e : fs::directory_iterator(fs::path(XB_SOURCE_DIR) / "docs"))
    if (e.path().extension() == ".md") manuals.push_back(e.path());
  std::sort(manuals.begin(), manuals.end());
  docs.insert(docs.end(), manuals.begin(), manuals.end());
  return docs;
}

TEST(DocsCommands, EveryCommandTheDocsShowParses) {
  std::vector<DocCommand> commands;
  for (const fs::path& doc : documents()) {
    std::ifstream in(doc);
    std::stringstream text;
    text << in.rdbuf();
    const auto found = extract_commands(fs::relative(doc, XB_SOURCE_DIR).string(), text.str());
    commands.insert(commands.end(), found.begin(), found.end());
  }
  // an extractor that found nothing would pass everything
  const auto count = [&commands](const std::string& tool) {
    return std::count_if(commands.begin(), commands.end(), [&tool](const DocCommand& c) { return c.tool == tool; });
  };
  EXPECT_GE(count("xdpfilter"), 20);
  EXPECT_GE(count("xdpbench"), 30);
  std::cout << commands.size() << " command lines checked\n";
  std::string failed;
  for (const DocCommand& c : commands) {
    const CliResult r = check_args(c);
    if (r.exit_code != 0) failed += c.place + ": " + c.tool + joined(c.args) + "\n    " + r.err;
  }
  EXPECT_EQ(failed, "") << "command lines the docs show that the tools do not take:\n" << failed;
}

// --check-args parses and stops: nothing runs, a parse error is still one.
TEST(DocsCommands, CheckArgsParsesAndRunsNothing) {
  const CliResult ok = run_xdpfilter("gen-rules --count=5 --check-args");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "") << "gen-rules ran";
  const CliResult bad = run_xdpfilter("--check-args attach --hook=tc-cls --colour=red");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_EQ(bad.err, "xdpfilter: The following argument was not expected: --colour=red (--help lists the options)\n");
  const CliResult bench_bad = run_cli(XDPBENCH_PATH, "--check-args run --size=10");
  EXPECT_EQ(bench_bad.exit_code, 2);
  EXPECT_EQ(bench_bad.err, "xdpbench: --size: '10': a frame size 64-1518, or imix (--help lists the options)\n");
  const CliResult bench_ok =
      run_cli(XDPBENCH_PATH, "gate --baseline=/nonexistent/a.json --current=b.json --check-args");
  EXPECT_EQ(bench_ok.exit_code, 0) << bench_ok.err;
  EXPECT_EQ(bench_ok.out, "");
}

std::string show(const std::vector<DocCommand>& commands) {
  std::string s;
  for (const auto& c : commands) s += c.place + " " + c.tool + joined(c.args) + "\n";
  return s;
}

// The conventions the header names, on a document of their own.
TEST(DocsCommands, ExtractorKeepsTheConventions) {
  const std::string doc =
      "Prose naming `xdpbench run --bogus` is not checked.\n"      // 1
      "\n"                                                         // 2
      "```sh\n"                                                    // 3
      "./build/bench/xdpbench run --hook=all   # a comment\n"      // 4
      "bash scripts/build.sh && xdpfilter status [--json]\n"       // 5
      "xdpfilter import --from=iptables|nft FILE|- \\\n"           // 6
      "    --out=x.toml\n"                                         // 7
      "xdpfilter stats --format=prometheus > /tmp/x.prom\n"        // 8
      "XDPBENCH_DEBUG_EXTRA_WORK=5 xdpbench run --prog='a b.o'\n"  // 9
      "ip netns list; xdpbench cleanup\n"                          // 10
      "```\n"                                                      // 11
      "\n"                                                         // 12
      "    $ xdpbench run --hook=tc-cls \\\n"                      // 13
      "    --repeat=3\n"                                           // 14
      "    hook   offered   xdpbench\n"                            // 15
      "\n"                                                         // 16
      "<!-- docs-commands: skip -->\n"                             // 17
      "```sh\n"                                                    // 18
      "xdpfilter attach --colour=red\n"                            // 19
      "```\n"                                                      // 20
      "```toml\n"                                                  // 21
      "xdpbench = 1\n"                                             // 22
      "```\n";                                                     // 23
  EXPECT_EQ(show(extract_commands("d.md", doc)),
            "d.md:4 xdpbench run --hook=all\n"
            "d.md:5 xdpfilter status\n"
            "d.md:5 xdpfilter status --json\n"
            "d.md:6 xdpfilter import --from=iptables FILE --out=x.toml\n"
            "d.md:6 xdpfilter import --from=nft - --out=x.toml\n"
            "d.md:8 xdpfilter stats --format=prometheus\n"
            "d.md:9 xdpbench run --prog=a b.o\n"
            "d.md:10 xdpbench cleanup\n"
            "d.md:13 xdpbench run --hook=tc-cls --repeat=3\n");
}

}  // namespace
}  // namespace xb::testing
