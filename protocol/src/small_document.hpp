// A RapidJSON document that keeps its first values in a buffer of its own. A default Document takes
// a 64 KiB chunk from the heap for every parse; freed and taken again for each frame, that chunk made
// glibc consolidate its free lists under load (malloc_consolidate and unlink_chunk: ~3% of the
// server's CPU at 100 messages/s into 1,000 members, ~0.9% now). A frame of ordinary size parses
// without touching the heap for its values; a larger one spills into heap chunks as before. Meant
// for the stack of one parse.
#pragma once

#include <cstddef>

#include <rapidjson/document.h>

namespace outloud::protocol::detail {

class SmallDocument {
 public:
  SmallDocument() : allocator_(buffer_, sizeof buffer_), document_(&allocator_) {}
  SmallDocument(const SmallDocument&) = delete;
  SmallDocument& operator=(const SmallDocument&) = delete;

  rapidjson::Document& get() { return document_; }

 private:
  static constexpr std::size_t kBufferBytes = 4096;  // a `send` of a few hundred characters uses < 1 KiB
  alignas(std::max_align_t) char buffer_[kBufferBytes];
  rapidjson::MemoryPoolAllocator<> allocator_;
  rapidjson::Document document_;  // after allocator_: destroyed first
};

}  // namespace outloud::protocol::detail
