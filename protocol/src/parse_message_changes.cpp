// edit, delete, remove_message, changes and search: JSON fields -> validated frames.
#include "message_change_readers.hpp"

namespace outloud::protocol {

namespace {
// Words are split at spaces and at ASCII control characters: a NUL kept inside a term would end
// the full-text engine's query string early, and no message text holds one as part of a word.
bool separates_words(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte <= 0x20 || byte == 0x7F;
}
}  // namespace

std::vector<std::string> search_terms(std::string_view query) {
  std::vector<std::string> terms;
  std::size_t i = 0;
  while (i < query.size()) {
    while (i < query.size() && separates_words(query[i])) ++i;
    const std::size_t start = i;
    while (i < query.size() && !separates_words(query[i])) ++i;
    if (i > start) terms.emplace_back(query.substr(start, i - start));
  }
  return terms;
}

namespace detail {

namespace {

std::int64_t seq(const FieldReader& f) { return f.integer("seq", 1, kMaxSafeInteger); }

}  // namespace

ClientBody read_edit(const FieldReader& f, const ParseLimits& limits) {
  Edit edit;
  edit.room = f.room();
  edit.seq = seq(f);
  edit.text = f.string("text", {1, limits.max_text_chars});
  return edit;
}

ClientBody read_delete(const FieldReader& f, const ParseLimits&) { return Delete{f.room(), seq(f)}; }

ClientBody read_remove_message(const FieldReader& f, const ParseLimits&) {
  RemoveMessage remove;
  remove.room = f.room();
  remove.seq = seq(f);
  remove.reason = f.string("reason", {1, kMaxRemovalReasonChars});
  if (search_terms(remove.reason).empty()) reject("field 'reason' must not be blank: say why it is removed");
  return remove;
}

ClientBody read_changes(const FieldReader& f, const ParseLimits&) {
  Changes changes;
  changes.room = f.room();
  changes.since = f.optional_integer("since", 0, kMaxSafeInteger);
  changes.limit = static_cast<int>(f.optional_integer("limit", 1, 200).value_or(100));
  return changes;
}

ClientBody read_search(const FieldReader& f, const ParseLimits&) {
  Search search;
  search.room = f.room();
  search.query = f.string("query", {1, kMaxSearchQueryChars});
  const auto terms = search_terms(search.query);
  if (terms.empty()) reject("field 'query' must contain a word");
  if (terms.size() > static_cast<std::size_t>(kMaxSearchTerms)) {
    reject("field 'query' must have at most " + std::to_string(kMaxSearchTerms) + " words");
  }
  search.before = f.optional_integer("before", 1, kMaxSafeInteger);
  search.limit = static_cast<int>(f.optional_integer("limit", 1, 50).value_or(20));
  return search;
}

}  // namespace detail

}  // namespace outloud::protocol
