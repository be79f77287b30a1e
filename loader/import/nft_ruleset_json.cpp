#include "nft_ruleset_json.hpp"

#include <fmt/format.h>

#include "errors.hpp"

namespace xb {
namespace {

using nlohmann::json;

// The offsets of the objects of the top-level "nftables" array: nlohmann's
// DOM keeps no positions, so the text is scanned once for them (strings
// skipped, depth counted: root object 1, the array 2, its objects 3).
std::vector<std::size_t> element_offsets(const std::string& text) {
  std::vector<std::size_t> out;
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (depth == 2 && c == '{') out.push_back(i);
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return out;
}

SourceLocation location(const std::string& text, const std::string& source, std::size_t offset) {
  std::uint32_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {source, line, column};
}

std::string text_of(const json& object, const char* key, const SourceLocation& where) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string())
    throw RuleError(fmt::format("{}: expected \"{}\" (a string) in this object", where.str(), key));
  return it->get<std::string>();
}

std::string key_of(const std::string& family, const std::string& table, const std::string& name) {
  return family + " " + table + " " + name;
}

}  // namespace

const NftChain* NftRuleset::chain(const std::string& family, const std::string& table, const std::string& name) const {
  for (const auto& c : chains)
    if (c.family == family && c.table == table && c.name == name) return &c;
  return nullptr;
}

const NftSet* NftRuleset::set(const std::string& family, const std::string& table, const std::string& name) const {
  const auto it = sets.find(key_of(family, table, name));
  return it == sets.end() ? nullptr : &it->second;
}

NftRuleset parse_nft_ruleset(const std::string& text, const std::string& source) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    // nlohmann counts bytes: the position is the offset of the error
    throw RuleError(fmt::format("{}: not JSON as `nft -j list ruleset` writes it: {}",
                                location(text, source, e.byte ? e.byte - 1 : 0).str(), e.what()));
  }
  if (!root.is_object() || !root.contains("nftables") || !root["nftables"].is_array())
    throw RuleError(fmt::format("{}:1:1: expected {{\"nftables\": [...]}} as `nft -j list ruleset` writes it", source));
  const auto offsets = element_offsets(text);
  NftRuleset set;
  set.source = source;
  const auto& items = root["nftables"];
  for (std::size_t i = 0; i < items.size(); ++i) {
    const json& item = items[i];
    const SourceLocation where = i < offsets.size() ? location(text, source, offsets[i]) : SourceLocation{source, 1, 1};
    if (!item.is_object() || item.size() != 1)
      throw RuleError(fmt::format("{}: expected an object with one key (table, chain, set, rule, ...)", where.str()));
    const auto first = item.begin();
    const std::string& kind = first.key();
    const json& body = first.value();
    if (kind == "chain") {
      NftChain c;
      c.family = text_of(body, "family", where);
      c.table = text_of(body, "table", where);
      c.name = text_of(body, "name", where);
      c.where = where;
      if (body.contains("hook")) {
        c.hook = body["hook"].get<std::string>();
        c.type = body.value("type", "filter");
        c.prio = body.value("prio", 0L);
        c.policy = body.value("policy", "accept");
      }
      set.chains.push_back(std::move(c));
    } else if (kind == "set" || kind == "map") {
      NftSet s;
      s.family = text_of(body, "family", where);
      s.table = text_of(body, "table", where);
      s.name = text_of(body, "name", where);
      s.type = body.value("type", json());
      s.elem = body.value("elem", json::array());
      s.where = where;
      if (kind == "map") s.type = json();  // maps are refused where they are used
      set.sets[key_of(s.family, s.table, s.name)] = std::move(s);
    } else if (kind == "rule") {
      NftRule r;
      r.family = text_of(body, "family", where);
      r.table = text_of(body, "table", where);
      r.chain = text_of(body, "chain", where);
      r.handle = body.value("handle", std::uint64_t{0});
      r.comment = body.value("comment", "");
      r.expr = body.value("expr", json::array());
      r.where = where;
      set.rules.push_back(std::move(r));
    }
    // metainfo, table, flowtable, counter, quota, ...: nothing a rule list needs
  }
  for (std::size_t i = 0; i < set.rules.size(); ++i) {
    const auto& r = set.rules[i];
    auto* chain = const_cast<NftChain*>(set.chain(r.family, r.table, r.chain));
    if (!chain)
      throw RuleError(
          fmt::format("{}: the rule's chain {} {} {} is not in the file", r.where.str(), r.family, r.table, r.chain));
    chain->rules.push_back(i);
  }
  return set;
}

}  // namespace xb
