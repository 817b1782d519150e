// CPU affinity for a server process: which CPU takes the completion interrupts of the disk a path
// lives on, and pinning the process to one CPU.
//
// Why: a sync write waits for the disk's flush, and the flush's completion is an interrupt. A disk
// with one request queue (virtio-blk on most VMs, SATA/AHCI) delivers every completion to one CPU. A
// thread blocked in fdatasync on another CPU is woken by an inter-processor interrupt from that one,
// and on a VM both CPUs may have halted meanwhile: two wake-ups per sync instead of one. On this
// project's VM a pwrite+fdatasync loop with a 300 us pause between syncs (a sync client's rhythm)
// took p50 609-660 us on the other CPU and 355-377 us on the interrupt's CPU (docs/performance.md).
// kz serves from one scheduler thread, so it can sit on that CPU; a disk with a queue per CPU (NVMe)
// completes on the submitting CPU already and gets no pin.
//
// Only `kz zookeeper` uses it, on request (--cpu-affinity / kz.cpuAffinity): pinning is right for a
// server that has its machine to itself, and wrong for several servers sharing one CPU set.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace kz::real {

// One interrupt line of a device: how many interrupts each CPU has taken, and the CPUs it is
// currently routed to (/proc/irq/N/effective_affinity_list).
struct IrqLine {
  int irq = 0;
  std::vector<uint64_t> per_cpu_count;
  std::vector<int> affinity;
};

// Parses a kernel CPU list ("0-3,5,7-8"). Error on anything else.
Result<std::vector<int>> parse_cpu_list(std::string_view text);

// The CPU that completes a device's I/O, from its interrupt lines: the lines that have fired must
// all be routed to the same single CPU. Otherwise (spread over CPUs, nothing fired yet, routing
// to several CPUs) an error saying which.
Result<int> single_completion_cpu(const std::vector<IrqLine>& lines);

struct DiskCpu {
  int cpu = -1;
  std::string device;  // the block device, e.g. "vda"
};

// The CPU that takes the completion interrupts of the disk holding `path` (via /sys: the file
// system's block device, its parent disk if a partition, the one device under a device-mapper
// volume, then the PCI function's MSI interrupts). Errors say why there is none (not a block
// device, no MSI interrupts, interrupts spread over CPUs...).
Result<DiskCpu> disk_completion_cpu(const std::string& path);

// Restricts this process's calling thread (and the threads it starts afterwards) to `cpu`.
Status pin_to_cpu(int cpu);

// The CPUs this process may run on now.
Result<std::vector<int>> allowed_cpus();

}  // namespace kz::real
