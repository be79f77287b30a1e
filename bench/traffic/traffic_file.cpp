#include "traffic_file.hpp"

#include <fmt/format.h>
#include <pcap/pcap.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <memory>

#include "classbench_trace.hpp"
#include "errors.hpp"

namespace xb::bench {
namespace {

// pcap in either byte order, microsecond or nanosecond stamps; pcapng's
// section header block (libpcap reads both)
bool pcap_magic(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<unsigned char, 4> m{};
  if (!in.read(reinterpret_cast<char*>(m.data()), 4)) return false;
  const std::uint32_t be = static_cast<std::uint32_t>(m[0] << 24 | m[1] << 16 | m[2] << 8 | m[3]);
  for (const std::uint32_t magic : {0xa1b2c3d4u, 0xa1b23c4du, 0x0a0d0d0au})
    if (be == magic || be == __builtin_bswap32(magic)) return true;
  return false;
}

struct PcapClose {
  void operator()(pcap_t* p) const { pcap_close(p); }
};

TrafficFile read_pcap(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  std::unique_ptr<pcap_t, PcapClose> pcap(pcap_open_offline(path.c_str(), errbuf));
  if (!pcap) throw Error(fmt::format("--traffic={}: {}", path, errbuf));
  const int link = pcap_datalink(pcap.get());
  if (link != DLT_EN10MB) {
    const char* name = pcap_datalink_val_to_name(link);
    throw Error(fmt::format("--traffic={}: link type {} ({}): the rig replays Ethernet frames (EN10MB) only", path,
                            name ? name : "unknown", link));
  }
  TrafficFile file{path, "pcap", {}, 0, true};
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  for (;;) {
    const int got = pcap_next_ex(pcap.get(), &header, &data);
    if (got == PCAP_ERROR_BREAK) break;  // the end of the file
    const std::size_t record = file.records + 1;
    if (got != 1) throw Error(fmt::format("--traffic={}: record {}: {}", path, record, pcap_geterr(pcap.get())));
    if (header->caplen < header->len)
      throw Error(
          fmt::format("--traffic={}: record {}: {} of its {} bytes captured (snap length); replay needs "
                      "whole frames",
                      path, record, header->caplen, header->len));
    if (header->caplen < 14)
      throw Error(
          fmt::format("--traffic={}: record {}: {} bytes, less than an Ethernet header", path, record, header->caplen));
    if (header->caplen > XB_GEN_FRAME_MAX)
      throw Error(
          fmt::format("--traffic={}: record {}: a {}-byte frame; the rig's links carry at most {} (captured "
                      "with GRO or TSO on? capture with them off)",
                      path, record, header->caplen, XB_GEN_FRAME_MAX));
    ++file.records;
    if (file.frames.size() < kMaxReplayFrames) file.frames.emplace_back(data, data + header->caplen);
  }
  return file;
}

TrafficFile read_trace(const std::string& path, const TrafficProfile& sizes) {
  std::vector<packets::ClassBenchTuple> tuples;
  try {
    tuples = packets::read_classbench_trace(path);
  } catch (const Error& e) {
    throw Error(std::string("--traffic=") + e.what());
  }
  TrafficFile file{path, "classbench-trace", {}, tuples.size(), false};
  // simple IMIX as the template generator sends it: 7 x 64, 4 x 594, 1 x 1518
  static constexpr std::array<std::uint32_t, 12> kImix = {64, 594, 64, 64, 594, 64, 64, 594, 64, 64, 594, 1518};
  for (std::size_t i = 0; i < tuples.size() && i < kMaxReplayFrames; ++i) {
    const std::size_t data_len = (sizes.imix ? kImix[i % kImix.size()] : sizes.frame_size) - 4;  // no FCS
    const std::size_t headers = packets::build_frame(packets::classbench_packet(tuples[i], 0)).size();
    const std::size_t payload = data_len > headers ? data_len - headers : 0;
    file.frames.push_back(
        packets::with_ipv4_checksum(packets::build_frame(packets::classbench_packet(tuples[i], payload))));
  }
  return file;
}

}  // namespace

TrafficFile read_traffic_file(const std::string& spec, const TrafficProfile& sizes) {
  std::string path = spec, format;
  for (const char* prefix : {"pcap", "classbench-trace"})
    if (spec.rfind(std::string(prefix) + ":", 0) == 0) {
      format = prefix;
      path = spec.substr(format.size() + 1);
    }
  if (!std::ifstream(path)) throw Error(errno_message("--traffic=" + path + ": cannot read", errno));
  if (std::filesystem::is_directory(path)) throw Error("--traffic=" + path + ": is a directory, not a pcap or a trace");
  if (format.empty()) format = pcap_magic(path) ? "pcap" : "classbench-trace";
  TrafficFile file = format == "pcap" ? read_pcap(path) : read_trace(path, sizes);
  if (file.frames.empty()) throw Error(fmt::format("--traffic={}: no frames in it", path));
  return file;
}

}  // namespace xb::bench
