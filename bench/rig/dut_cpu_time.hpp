// The CPU time the DUT spends on the traffic, with its receive work pinned
// to a core of its own (--cpu=GEN,DUT): divided by the packets a hook
// handled, the DUT CPU ns/pkt of every hook and baseline, from one counter.
//
// Not that core's busy time from /proc/stat: on a shared machine the core
// also runs other work (while one run here measured, another job's compiler
// took most of the DUT core's user time), and /proc/stat counts in 10 ms
// ticks. Instead, the run time the scheduler accounts (/proc/PID/task/TID/
// schedstat, in ns) of the tasks that do the DUT's work:
//  * the DUT interface's NAPI threads: the veth receive path, XDP, the skb,
//    tc, netfilter and the IP stack up to where the packet ends; softirq
//    work raised meanwhile (a forwarded packet's next device) runs in the
//    same thread when it re-enables bottom halves;
//  * the DUT core's ksoftirqd, where softirq work that could not be done at
//    once goes;
//  * a baseline's own process (the DPDK application: its poll loop runs on
//    the DUT core and is busy whether packets come or not).
// Where the kernel accounts interrupt time apart (CONFIG_IRQ_TIME_ACCOUNTING,
// not set here), softirq work done inside those tasks is not in their run
// time: the DUT core's irq and softirq time from /proc/stat is added.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace xb::bench {

class DutCpuTime {
 public:
  // pids: processes or kernel threads (all their threads count); cpu: the DUT core
  DutCpuTime(std::vector<int> pids, int cpu);
  // ns of CPU time the tasks had since construction
  double ns() const;

 private:
  struct Sample {
    std::map<std::string, double> task_ns;  // per /proc/PID/task/TID
    double irq_ns = 0;
  };
  Sample sample() const;
  std::vector<int> pids_;
  int cpu_;
  bool irq_time_apart_;
  Sample start_;
};

}  // namespace xb::bench
