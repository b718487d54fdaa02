// How breakout groups are filled: pure functions of the people present and a seed, so a run can be
// reproduced in tests and every node that re-applies a command computes the same groups.
#pragma once

#include <cstdint>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "outloud/protocol/types.hpp"

namespace outloud::facilitation {

using Groups = std::vector<std::vector<std::string>>;  // group index -> user ids

// A small seeded generator (SplitMix64): the same seed gives the same sequence on every platform,
// which std::uniform_int_distribution does not promise.
class SeededRandom {
 public:
  explicit SeededRandom(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next();
  std::size_t below(std::size_t bound);  // uniform in [0, bound); bound > 0
  template <typename T>
  void shuffle(std::vector<T>& items) {
    for (std::size_t i = items.size(); i > 1; --i) std::swap(items[i - 1], items[below(i)]);
  }

 private:
  std::uint64_t state_;
};

// `groups` >= 1 groups whose sizes differ by at most one, members in a seeded random order.
Groups random_groups(const std::vector<std::string>& people, int groups, std::uint64_t seed);

// Like random_groups, and each organisation's c members are spread so that every group holds
// floor(c/groups) or ceil(c/groups) of them. People with an empty org count as an organisation each.
//
// Why it holds: the people are laid out organisation after organisation and dealt round-robin.
// Each organisation is then a run of c consecutive positions, and any c consecutive positions of a
// round-robin deal hit every group floor(c/n) or ceil(c/n) times; the deal as a whole makes sizes
// differ by at most one. So no group holds two of one organisation unless c > n, and then every
// group already holds one of it: no group could take one without breaking the size rule.
Groups mix_groups(const std::vector<protocol::User>& people, int groups, std::uint64_t seed);

// Manual: `assign` (user id -> group index, 0-based, already range-checked) places people exactly;
// everyone in `rest` not in `assign` goes, in a seeded random order, to the currently smallest group
// (the lowest index on a tie).
Groups manual_groups(const std::map<std::string, int>& assign, const std::vector<std::string>& rest, int groups,
                     std::uint64_t seed);

// Where one more person (a late joiner of organisation `org`) goes without breaking the mix rule:
// among the smallest groups (so sizes keep differing by at most one), the one holding the fewest of
// `org` (an empty org is nobody else's), the lowest index on a tie. `org_of` gives a member's org.
// `groups` must not be empty.
template <typename OrgOf>
std::size_t best_group_for(const std::string& org, const Groups& groups, OrgOf&& org_of) {
  std::size_t best = 0;
  std::size_t best_size = SIZE_MAX, best_same = SIZE_MAX;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    std::size_t same = 0;
    if (!org.empty())
      for (const auto& member : groups[i])
        if (org_of(member) == org) ++same;
    const std::size_t size = groups[i].size();
    if (size < best_size || (size == best_size && same < best_same)) {
      best = i;
      best_size = size;
      best_same = same;
    }
  }
  return best;
}

}  // namespace outloud::facilitation
