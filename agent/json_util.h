// Tolerant reading of tools' JSON output: a missing key, a null or a value of another type
// reads as the default instead of throwing.
#ifndef PARAAT_AGENT_JSON_UTIL_H_
#define PARAAT_AGENT_JSON_UTIL_H_

#include <cstdint>
#include <string>

#include "nlohmann/json.hpp"

namespace paraat {

inline std::string JsonString(const nlohmann::json& j, const char* key, const std::string& def = "") {
  if (!j.is_object()) return def;
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : def;
}

inline int64_t JsonInt(const nlohmann::json& j, const char* key, int64_t def = 0) {
  if (!j.is_object()) return def;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<int64_t>() : def;
}

inline double JsonDouble(const nlohmann::json& j, const char* key, double def = 0) {
  if (!j.is_object()) return def;
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : def;
}

inline bool JsonBool(const nlohmann::json& j, const char* key, bool def = false) {
  if (!j.is_object()) return def;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->get<bool>() : def;
}

inline const nlohmann::json& JsonAt(const nlohmann::json& j, const char* key) {
  static const nlohmann::json null;
  if (!j.is_object()) return null;
  auto it = j.find(key);
  return it != j.end() ? *it : null;
}

// The array at `key`, or an empty one. (A reference: pointers into it stay valid.)
inline const nlohmann::json& JsonArray(const nlohmann::json& j, const char* key) {
  static const nlohmann::json empty = nlohmann::json::array();
  const nlohmann::json& v = JsonAt(j, key);
  return v.is_array() ? v : empty;
}

}  // namespace paraat

#endif  // PARAAT_AGENT_JSON_UTIL_H_
