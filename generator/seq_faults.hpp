// Test-only sequence faults (--test-seq-faults SPEC), so integration tests can
// prove the receiver's loss / reorder / duplicate accounting exactly.
//
// SPEC is a comma list of KIND:FLOW:SEQ:
//   skip:F:S  the packet with sequence S of flow F is never sent (S is consumed)
//   dup:F:S   it is sent twice, back to back in that flow's order
//   swap:F:S  S and S+1 are sent in swapped order (S+1 first)
// Each fault replaces one of the flow's frames, so a flow still takes exactly
// its round-robin share of frames: dup costs the flow one unique sequence
// number, skip and swap cost nothing but the gap or the order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ebt {

enum class SeqFaultKind : uint8_t { kSkip, kDup, kSwap };

struct SeqFault {
    SeqFaultKind kind = SeqFaultKind::kSkip;
    uint32_t flow = 0;  // global flow id (local id once split per lcore)
    uint32_t seq = 0;
    bool operator==(const SeqFault&) const = default;
};

// Parses SPEC for a test of `flows` flows; the result is sorted by (flow,
// seq).  Throws ConfigError naming --test-seq-faults and the bad item: bad
// syntax, a flow out of range, two faults on one (flow, seq), or a swap whose
// S+1 carries another fault (or overflows 32 bits).
std::vector<SeqFault> parse_seq_faults(const std::string& spec, uint32_t flows);

// The faults of flows [first_flow, first_flow + count), flow ids made local
// (minus first_flow), still sorted.
std::vector<SeqFault> faults_for_flows(const std::vector<SeqFault>& all, uint32_t first_flow,
                                       uint32_t count);

}  // namespace ebt
