// An owned copy of a hiredis reply: hiredis frees its own as soon as the callback returns.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <hiredis/hiredis.h>

namespace outloud::redis {

struct Reply {
  enum class Type { nil, integer, string, status, error, array };
  Type type = Type::nil;
  long long integer = 0;
  std::string str;  // string, status and error replies
  std::vector<Reply> elements;

  bool is_error() const { return type == Type::error; }
  bool is_nil() const { return type == Type::nil; }

  static Reply from(const redisReply* reply) {
    Reply out;
    if (reply == nullptr) return out;
    switch (reply->type) {
      case REDIS_REPLY_INTEGER:
        out.type = Type::integer;
        out.integer = reply->integer;
        break;
      case REDIS_REPLY_STRING:
        out.type = Type::string;
        out.str.assign(reply->str, reply->len);
        break;
      case REDIS_REPLY_STATUS:
        out.type = Type::status;
        out.str.assign(reply->str, reply->len);
        break;
      case REDIS_REPLY_ERROR:
        out.type = Type::error;
        out.str.assign(reply->str, reply->len);
        break;
      case REDIS_REPLY_ARRAY:
        out.type = Type::array;
        out.elements.reserve(reply->elements);
        for (std::size_t i = 0; i < reply->elements; ++i) out.elements.push_back(from(reply->element[i]));
        break;
      default:
        break;
    }
    return out;
  }
};

}  // namespace outloud::redis
