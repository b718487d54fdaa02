// Property tests of the breakout strategies, above all `mix` (facilitation.md "Breakout groups"):
// sizes differ by at most one, and every organisation is spread as evenly as the groups allow,
// checked against independent brute-force and max-flow answers on small populations.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "server/facilitation/grouping.hpp"

// This file's helpers and using-directives stay here when many test files share one unity TU.
namespace facilitation_mix_test {

namespace f = outloud::facilitation;
namespace p = outloud::protocol;

namespace {

struct Population {
  std::vector<p::User> people;
  std::string description;
};

enum class Shape { uniform, skewed, one_giant, with_unaffiliated };

Population make_population(int size, int orgs, Shape shape, std::uint64_t seed) {
  f::SeededRandom random(seed);
  Population population;
  population.description = "N=" + std::to_string(size) + " orgs=" + std::to_string(orgs) + " shape=" +
                           std::to_string(static_cast<int>(shape)) + " seed=" + std::to_string(seed);
  for (int i = 0; i < size; ++i) {
    std::size_t org = 0;
    const double u = static_cast<double>(random.next() >> 11) / static_cast<double>(1ULL << 53);
    switch (shape) {
      case Shape::uniform: org = random.below(static_cast<std::size_t>(orgs)); break;
      case Shape::skewed: org = static_cast<std::size_t>(orgs * u * u * u); break;  // most in the first orgs
      case Shape::one_giant:
        org = u < 0.7 ? 0 : random.below(static_cast<std::size_t>(orgs));
        break;
      case Shape::with_unaffiliated: org = random.below(static_cast<std::size_t>(orgs) + 1); break;
    }
    std::string org_id = "org-" + std::to_string(org);
    if (shape == Shape::with_unaffiliated && org == static_cast<std::size_t>(orgs)) org_id.clear();
    population.people.push_back({"u" + std::to_string(i), "Person " + std::to_string(i), org_id});
  }
  return population;
}

// Organisation key as the mix strategy sees it: people without an org are each their own.
std::string org_key(const p::User& user) { return user.org.empty() ? "solo:" + user.id : user.org; }

std::map<std::string, std::string> org_by_user(const std::vector<p::User>& people) {
  std::map<std::string, std::string> out;
  for (const auto& person : people) out[person.id] = org_key(person);
  return out;
}

void check_partition(const std::vector<p::User>& people, const f::Groups& groups, int n) {
  REQUIRE(groups.size() == static_cast<std::size_t>(n));
  std::multiset<std::string> placed;
  std::size_t smallest = SIZE_MAX, largest = 0;
  for (const auto& group : groups) {
    placed.insert(group.begin(), group.end());
    smallest = std::min(smallest, group.size());
    largest = std::max(largest, group.size());
  }
  std::multiset<std::string> expected;
  for (const auto& person : people) expected.insert(person.id);
  REQUIRE(placed == expected);  // everyone exactly once
  REQUIRE(largest - smallest <= 1);
}

// counts[group][org]
std::vector<std::map<std::string, int>> org_counts(const std::vector<p::User>& people, const f::Groups& groups) {
  const auto org_of = org_by_user(people);
  std::vector<std::map<std::string, int>> counts(groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (const auto& id : groups[g]) ++counts[g][org_of.at(id)];
  return counts;
}

std::map<std::string, int> org_sizes(const std::vector<p::User>& people) {
  std::map<std::string, int> out;
  for (const auto& person : people) ++out[org_key(person)];
  return out;
}

// --- independent checks -------------------------------------------------------------------------

// Max flow (Edmonds-Karp on an adjacency matrix): can N people be placed into n groups of sizes
// floor/ceil(N/n) with at most `cap` people of any one organisation per group?
bool flow_feasible(const std::map<std::string, int>& orgs, int n, int cap) {
  int total = 0;
  for (const auto& [org, count] : orgs) total += count;
  const int m = static_cast<int>(orgs.size());
  const int source = 0, sink = 1 + m + n, nodes = sink + 1;
  std::vector<std::vector<int>> capacity(static_cast<std::size_t>(nodes), std::vector<int>(static_cast<std::size_t>(nodes), 0));
  int i = 0;
  for (const auto& [org, count] : orgs) {
    capacity[0][static_cast<std::size_t>(1 + i)] = count;
    for (int g = 0; g < n; ++g) capacity[static_cast<std::size_t>(1 + i)][static_cast<std::size_t>(1 + m + g)] = cap;
    ++i;
  }
  for (int g = 0; g < n; ++g)  // groups are interchangeable: the first N%n take the larger size
    capacity[static_cast<std::size_t>(1 + m + g)][static_cast<std::size_t>(sink)] = total / n + (g < total % n ? 1 : 0);
  int flow = 0;
  while (true) {
    std::vector<int> parent(static_cast<std::size_t>(nodes), -1);
    parent[0] = source;
    std::vector<int> queue{source};
    for (std::size_t q = 0; q < queue.size() && parent[static_cast<std::size_t>(sink)] < 0; ++q)
      for (int v = 0; v < nodes; ++v)
        if (parent[static_cast<std::size_t>(v)] < 0 && capacity[static_cast<std::size_t>(queue[q])][static_cast<std::size_t>(v)] > 0) {
          parent[static_cast<std::size_t>(v)] = queue[q];
          queue.push_back(v);
        }
    if (parent[static_cast<std::size_t>(sink)] < 0) break;
    int push = INT32_MAX;
    for (int v = sink; v != source; v = parent[static_cast<std::size_t>(v)])
      push = std::min(push, capacity[static_cast<std::size_t>(parent[static_cast<std::size_t>(v)])][static_cast<std::size_t>(v)]);
    for (int v = sink; v != source; v = parent[static_cast<std::size_t>(v)]) {
      capacity[static_cast<std::size_t>(parent[static_cast<std::size_t>(v)])][static_cast<std::size_t>(v)] -= push;
      capacity[static_cast<std::size_t>(v)][static_cast<std::size_t>(parent[static_cast<std::size_t>(v)])] += push;
    }
    flow += push;
  }
  return flow == total;
}

// Brute force over every assignment of people to groups that keeps the size rule: the smallest
// achievable "most people of one organisation in one group".
int best_possible_max(const std::vector<p::User>& people, int n) {
  const auto size = people.size();
  std::map<std::string, int> org_index;
  std::vector<int> org_of(size);
  for (std::size_t k = 0; k < size; ++k)
    org_of[k] = org_index.emplace(org_key(people[k]), static_cast<int>(org_index.size())).first->second;
  const auto orgs = org_index.size();
  const auto groups = static_cast<std::size_t>(n);
  std::vector<std::size_t> assignment(size, 0);
  int best = INT32_MAX;
  while (true) {
    std::vector<int> sizes(groups, 0);
    for (auto g : assignment) ++sizes[g];
    if (*std::max_element(sizes.begin(), sizes.end()) - *std::min_element(sizes.begin(), sizes.end()) <= 1) {
      std::vector<int> counts(groups * orgs, 0);
      int worst = 0;
      for (std::size_t k = 0; k < size; ++k)
        worst = std::max(worst, ++counts[assignment[k] * orgs + static_cast<std::size_t>(org_of[k])]);
      best = std::min(best, worst);
    }
    std::size_t k = 0;
    while (k < size && ++assignment[k] == groups) assignment[k++] = 0;
    if (k == size) break;
  }
  return best;
}

int actual_max(const std::vector<p::User>& people, const f::Groups& groups) {
  int worst = 0;
  for (const auto& counts : org_counts(people, groups))
    for (const auto& [org, count] : counts) worst = std::max(worst, count);
  return worst;
}

// The contract, literally: no group holds two of an org while another group holds none of it
// (that group could take one of them, in exchange for someone else, without breaking the sizes).
void check_contract_rule(const std::vector<p::User>& people, const f::Groups& groups) {
  const auto counts = org_counts(people, groups);
  for (const auto& [org, total] : org_sizes(people)) {
    bool some_group_has_two = false, some_group_has_none = false;
    for (const auto& group : counts) {
      auto it = group.find(org);
      const int here = it == group.end() ? 0 : it->second;
      some_group_has_two |= here >= 2;
      some_group_has_none |= here == 0;
    }
    INFO("org " << org << " with " << total << " members");
    REQUIRE_FALSE((some_group_has_two && some_group_has_none));
  }
}

}  // namespace

TEST_CASE("facilitation: mix spreads every organisation as evenly as the sizes allow", "[facilitation][mix]") {
  int cases = 0;
  const Shape shapes[] = {Shape::uniform, Shape::skewed, Shape::one_giant, Shape::with_unaffiliated};
  f::SeededRandom plan(20240501);
  for (int round = 0; round < 120; ++round) {
    for (Shape shape : shapes) {
      const int size = 2 + static_cast<int>(plan.below(199));        // 2..200
      const int orgs = 1 + static_cast<int>(plan.below(30));         // 1..30
      const int n = 1 + static_cast<int>(plan.below(static_cast<std::size_t>(std::min(size, 20))));  // 1..min(N,20)
      const std::uint64_t seed = plan.next();
      const auto population = make_population(size, orgs, shape, seed);
      INFO(population.description << " groups=" << n);
      const auto groups = f::mix_groups(population.people, n, seed);
      check_partition(population.people, groups, n);
      const auto sizes = org_sizes(population.people);
      const auto counts = org_counts(population.people, groups);
      for (const auto& [org, c] : sizes) {
        const int ceiling = (c + n - 1) / n, floor = c / n;
        for (const auto& group : counts) {
          auto it = group.find(org);
          const int here = it == group.end() ? 0 : it->second;
          INFO("org " << org << " c=" << c);
          REQUIRE(here <= ceiling);
          REQUIRE(here >= floor);
        }
      }
      check_contract_rule(population.people, groups);
      ++cases;
    }
  }
  REQUIRE(cases == 480);
}

TEST_CASE("facilitation: mix avoids two of one organisation whenever a flow says it can", "[facilitation][mix]") {
  f::SeededRandom plan(7);
  int feasible = 0, infeasible = 0;
  for (int round = 0; round < 400; ++round) {
    const int size = 2 + static_cast<int>(plan.below(39));  // 2..40
    const int orgs = 1 + static_cast<int>(plan.below(12));
    const int n = 1 + static_cast<int>(plan.below(static_cast<std::size_t>(std::min(size, 20))));
    const auto shape = static_cast<Shape>(plan.below(4));
    const std::uint64_t seed = plan.next();
    const auto population = make_population(size, orgs, shape, seed);
    INFO(population.description << " groups=" << n);
    const auto groups = f::mix_groups(population.people, n, seed);
    const bool can_avoid = flow_feasible(org_sizes(population.people), n, 1);
    if (can_avoid) {
      ++feasible;
      REQUIRE(actual_max(population.people, groups) <= 1);
    } else {
      ++infeasible;
    }
    // And the per-org bound it proves is itself always feasible (the flow agrees).
    int bound = 0;
    for (const auto& [org, c] : org_sizes(population.people)) bound = std::max(bound, (c + n - 1) / n);
    REQUIRE(flow_feasible(org_sizes(population.people), n, bound));
  }
  // The generator exercises both sides of the question.
  REQUIRE(feasible > 50);
  REQUIRE(infeasible > 50);
}

TEST_CASE("facilitation: mix matches the brute-force optimum on small populations", "[facilitation][mix]") {
  f::SeededRandom plan(99);
  for (int round = 0; round < 250; ++round) {
    const int size = 2 + static_cast<int>(plan.below(6));  // 2..7 (up to 4^7 assignments each)
    const int orgs = 1 + static_cast<int>(plan.below(4));
    const int n = 1 + static_cast<int>(plan.below(static_cast<std::size_t>(std::min(size, 4))));
    const auto shape = static_cast<Shape>(plan.below(4));
    const std::uint64_t seed = plan.next();
    const auto population = make_population(size, orgs, shape, seed);
    INFO(population.description << " groups=" << n);
    const auto groups = f::mix_groups(population.people, n, seed);
    check_partition(population.people, groups, n);
    REQUIRE(actual_max(population.people, groups) == best_possible_max(population.people, n));
    check_contract_rule(population.people, groups);
  }
}

TEST_CASE("facilitation: mix is reproducible by seed and varies across seeds", "[facilitation][mix]") {
  const auto population = make_population(30, 5, Shape::uniform, 3);
  REQUIRE(f::mix_groups(population.people, 4, 11) == f::mix_groups(population.people, 4, 11));
  std::set<f::Groups> distinct;
  for (std::uint64_t seed = 0; seed < 10; ++seed) distinct.insert(f::mix_groups(population.people, 4, seed));
  REQUIRE(distinct.size() > 5);
}

TEST_CASE("facilitation: a worked mix example", "[facilitation][mix]") {
  // Four from the council, two from health, one each from police and a charity, in two groups.
  std::vector<p::User> people = {{"a", "A", "council"}, {"b", "B", "council"}, {"c", "C", "council"},
                                 {"d", "D", "council"}, {"e", "E", "nhs"},     {"f", "F", "nhs"},
                                 {"g", "G", "police"},  {"h", "H", "charity"}};
  const auto groups = f::mix_groups(people, 2, 5);
  check_partition(people, groups, 2);
  const auto counts = org_counts(people, groups);
  for (const auto& group : counts) {
    REQUIRE(group.at("council") == 2);
    REQUIRE(group.at("nhs") == 1);
  }
}

TEST_CASE("facilitation: random groups keep the size rule and everyone once", "[facilitation][mix]") {
  f::SeededRandom plan(1234);
  for (int round = 0; round < 200; ++round) {
    const int size = 1 + static_cast<int>(plan.below(200));
    const int n = 1 + static_cast<int>(plan.below(static_cast<std::size_t>(std::min(size, 50))));
    const auto population = make_population(size, 3, Shape::uniform, plan.next());
    std::vector<std::string> ids;
    for (const auto& person : population.people) ids.push_back(person.id);
    const auto seed = plan.next();
    const auto groups = f::random_groups(ids, n, seed);
    check_partition(population.people, groups, n);
    REQUIRE(groups == f::random_groups(ids, n, seed));
  }
}

TEST_CASE("facilitation: manual groups place the assigned and fill the smallest with the rest", "[facilitation][mix]") {
  const std::map<std::string, int> assign = {{"a", 0}, {"b", 0}, {"c", 0}, {"d", 1}};
  const std::vector<std::string> everyone = {"a", "b", "c", "d", "e", "f", "g"};
  const auto groups = f::manual_groups(assign, everyone, 3, 8);
  REQUIRE(groups.size() == 3);
  REQUIRE(std::count(groups[0].begin(), groups[0].end(), "a") == 1);
  REQUIRE(std::count(groups[0].begin(), groups[0].end(), "c") == 1);
  REQUIRE(std::count(groups[1].begin(), groups[1].end(), "d") == 1);
  // e, f, g go to the smallest groups: group 3 (empty) and group 2 (one) fill before group 1.
  REQUIRE(groups[0].size() == 3);
  REQUIRE(groups[1].size() + groups[2].size() == 4);
  REQUIRE(std::max(groups[1].size(), groups[2].size()) == 2);
}

TEST_CASE("facilitation: the seeded generator is uniform enough and platform-independent", "[facilitation][mix]") {
  f::SeededRandom random(0);
  // SplitMix64's published first output for seed 0.
  REQUIRE(random.next() == 0xe220a8397b1dcdafULL);
  std::vector<int> buckets(6, 0);
  for (int i = 0; i < 60000; ++i) ++buckets[random.below(6)];
  for (int count : buckets) REQUIRE(std::abs(count - 10000) < 500);
}

}  // namespace facilitation_mix_test
