#include "server/facilitation/grouping.hpp"

#include <algorithm>
#include <numeric>

namespace outloud::facilitation {

std::uint64_t SeededRandom::next() {
  state_ += 0x9e3779b97f4a7c15ULL;
  std::uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::size_t SeededRandom::below(std::size_t bound) {
  // Rejection sampling keeps the draw unbiased.
  const std::uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  std::uint64_t value;
  do value = next();
  while (value >= limit);
  return static_cast<std::size_t>(value % bound);
}

namespace {

// Deals people round-robin into `groups` groups; which groups receive the extra members (when the
// count does not divide evenly) is itself random.
Groups deal(const std::vector<std::string>& order, int groups, SeededRandom& random) {
  const auto n = static_cast<std::size_t>(std::max(groups, 1));
  std::vector<std::size_t> slot(n);
  std::iota(slot.begin(), slot.end(), 0);
  random.shuffle(slot);
  Groups out(n);
  for (std::size_t k = 0; k < order.size(); ++k) out[slot[k % n]].push_back(order[k]);
  return out;
}

}  // namespace

Groups random_groups(const std::vector<std::string>& people, int groups, std::uint64_t seed) {
  SeededRandom random(seed);
  auto order = people;
  random.shuffle(order);
  return deal(order, groups, random);
}

Groups mix_groups(const std::vector<protocol::User>& people, int groups, std::uint64_t seed) {
  SeededRandom random(seed);
  // Organisations in order of first appearance; people without one are each their own.
  std::vector<std::vector<std::string>> orgs;
  std::map<std::string, std::size_t> index_of_org;
  for (const auto& person : people) {
    if (person.org.empty()) {
      orgs.push_back({person.id});
      continue;
    }
    auto [it, inserted] = index_of_org.emplace(person.org, orgs.size());
    if (inserted) orgs.emplace_back();
    orgs[it->second].push_back(person.id);
  }
  for (auto& members : orgs) random.shuffle(members);
  random.shuffle(orgs);
  std::vector<std::string> order;
  order.reserve(people.size());
  for (const auto& members : orgs) order.insert(order.end(), members.begin(), members.end());
  return deal(order, groups, random);
}

Groups manual_groups(const std::map<std::string, int>& assign, const std::vector<std::string>& rest, int groups,
                     std::uint64_t seed) {
  Groups out(static_cast<std::size_t>(std::max(groups, 1)));
  for (const auto& [user, group] : assign) out[static_cast<std::size_t>(group)].push_back(user);
  SeededRandom random(seed);
  std::vector<std::string> unassigned;
  for (const auto& user : rest)
    if (!assign.contains(user)) unassigned.push_back(user);
  random.shuffle(unassigned);
  for (const auto& user : unassigned) {
    auto smallest = std::min_element(out.begin(), out.end(),
                                     [](const auto& a, const auto& b) { return a.size() < b.size(); });
    smallest->push_back(user);
  }
  return out;
}

}  // namespace outloud::facilitation
