// Traffic files (`xdpbench run --traffic`), read without root: a trace's
// frames are the oracle tests' frames, sizes as asked, the limit, and every
// bad file refused in one line naming the file and its record or line.
#include "traffic_file.hpp"

#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "errors.hpp"
#include "oracle_headers.hpp"
#include "packet_builder.hpp"
#include "pcap_writer.hpp"

namespace xb::bench {
namespace {

const std::string kTrace = XB_TEST_DATA "/classbench/acl1_1k_trace";

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()))).string();
}

std::string error_of(const std::string& spec, const TrafficProfile& sizes = {}) {
  try {
    read_traffic_file(spec, sizes);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(TrafficFile, TraceFramesAreTheOracleTestsFrames) {
  TrafficProfile sizes;
  sizes.frame_size = 128;
  const TrafficFile file = read_traffic_file(kTrace, sizes);
  EXPECT_EQ(file.format, "classbench-trace");
  EXPECT_FALSE(file.fixes_size);
  const auto headers = fixtures::read_classbench_trace(kTrace);
  ASSERT_EQ(file.frames.size(), headers.size());
  EXPECT_EQ(file.records, headers.size());
  for (std::size_t i = 0; i < headers.size(); ++i) {
    ASSERT_EQ(file.frames[i].size(), 124u) << "line " << i + 1;  // 128 on the wire, less the FCS
    packets::PacketSpec spec = fixtures::packet_spec(headers[i]);
    spec.payload = 0;
    spec.payload = 124 - packets::build_frame(spec).size();
    EXPECT_EQ(file.frames[i], packets::with_ipv4_checksum(packets::build_frame(spec))) << "line " << i + 1;
  }
}

TEST(TrafficFile, TraceFramesTakeImixSizesInTurn) {
  TrafficProfile sizes;
  sizes.imix = true;
  const TrafficFile file = read_traffic_file("classbench-trace:" + kTrace, sizes);
  const std::size_t want[] = {60, 590, 60, 60, 590, 60, 60, 590, 60, 60, 590, 1514};
  for (std::size_t i = 0; i < 24; ++i) EXPECT_EQ(file.frames[i].size(), want[i % 12]) << i;
}

TEST(TrafficFile, PcapFramesAsCaptured) {
  const std::string path = temp_path("xb-replay.pcap");
  const std::vector<std::vector<std::uint8_t>> frames = {
      packets::build_frame(packets::udp("192.0.2.1", "192.0.2.2", 1000, 53)), packets::arp_frame(),
      packets::build_frame(packets::tcp("2001:db8::1", "2001:db8::2", 1000, 80, packets::kSyn))};
  fixtures::write_pcap(path, frames);
  const TrafficFile file = read_traffic_file(path, {});
  std::filesystem::remove(path);
  EXPECT_EQ(file.format, "pcap");
  EXPECT_TRUE(file.fixes_size);
  EXPECT_EQ(file.frames, frames);
}

TEST(TrafficFile, OnlyTheFirstFramesUpToTheLimit) {
  const std::string path = temp_path("xb-long_trace");
  {
    std::ofstream out(path);
    for (std::size_t i = 0; i <= kMaxReplayFrames; ++i) out << 3232235777u + i << "\t3232235778\t1\t2\t17\t0\t0\n";
  }
  const TrafficFile file = read_traffic_file(path, {});
  std::filesystem::remove(path);
  EXPECT_EQ(file.frames.size(), kMaxReplayFrames);
  EXPECT_EQ(file.records, kMaxReplayFrames + 1);
}

TEST(TrafficFile, BadTraceLineNamesFileAndLine) {
  const std::string path = temp_path("xb-bad_trace");
  std::ofstream(path) << "3232235777\t3232235778\t1\t2\t17\t0\t0\n\n3232235777\t3232235778\t1\t70000\t17\t0\t0\n";
  EXPECT_EQ(error_of(path),
            "--traffic=" + path + ":3: expected SRC DST SPORT DPORT PROTO FLAGS RULE (addresses as 32-bit integers)");
  std::filesystem::remove(path);
}

TEST(TrafficFile, TruncatedPcapNamesTheRecord) {
  const std::string path = temp_path("xb-truncated.pcap");
  const auto frame = packets::build_frame(packets::udp("192.0.2.1", "192.0.2.2", 1000, 53));
  fixtures::write_pcap(path, {frame, frame, frame});
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 10);  // into the third frame
  const std::string e = error_of(path);
  std::filesystem::remove(path);
  EXPECT_EQ(e.rfind("--traffic=" + path + ": record 3: truncated", 0), 0u) << e;
  EXPECT_EQ(e.find('\n'), std::string::npos) << e;
}

TEST(TrafficFile, UnknownLinkTypeIsNamed) {
  const std::string path = temp_path("xb-sll.pcap");
  fixtures::write_pcap(path, {std::vector<std::uint8_t>(40, 0)}, DLT_LINUX_SLL);
  const std::string e = error_of(path);
  std::filesystem::remove(path);
  EXPECT_EQ(e, "--traffic=" + path + ": link type LINUX_SLL (113): the rig replays Ethernet frames (EN10MB) only");
}

TEST(TrafficFile, FramesTheLinksCannotCarryAreRefused) {
  const std::string path = temp_path("xb-gro.pcap");
  const auto small = packets::build_frame(packets::udp("192.0.2.1", "192.0.2.2", 1000, 53));
  packets::PacketSpec big = packets::tcp("192.0.2.1", "192.0.2.2", 1000, 80, packets::kAck);
  big.payload = 2920;  // two segments GRO made one of
  fixtures::write_pcap(path, {small, packets::build_frame(big)});
  const std::string e = error_of(path);
  std::filesystem::remove(path);
  EXPECT_EQ(e.rfind("--traffic=" + path + ": record 2: a 2974-byte frame; the rig's links carry at most 1518", 0), 0u)
      << e;
}

TEST(TrafficFile, TheFormatNamedOrToldByItsFirstBytes) {
  // a pcap named a trace is read as one, and fails on its first line
  const std::string path = temp_path("xb-named.pcap");
  fixtures::write_pcap(path, {packets::arp_frame()});
  EXPECT_EQ(error_of("classbench-trace:" + path).rfind("--traffic=" + path + ":1: expected", 0), 0u);
  EXPECT_EQ(read_traffic_file("pcap:" + path, {}).frames.size(), 1u);
  std::filesystem::remove(path);
  EXPECT_NE(error_of("pcap:" + kTrace).find("--traffic=" + kTrace + ": "), std::string::npos);
  EXPECT_EQ(error_of("/nonexistent/x").rfind("--traffic=/nonexistent/x: cannot read", 0), 0u);
}

}  // namespace
}  // namespace xb::bench
