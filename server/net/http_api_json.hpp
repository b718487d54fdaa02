// The JSON (and CSV) answers of the /api endpoints.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "outloud/protocol/types.hpp"
#include "server/accounts/accounts.hpp"

namespace outloud::net {

// {"error":"<code>","message":"..."}
std::string error_json(protocol::ErrorCode code, std::string_view message);
// GET /api/me when nobody is signed in: {"auth":"accounts","setup":bool}
std::string signed_out_json(std::string_view auth, bool setup_pending);
// GET /api/me: {"user":USER,"auth":...}; USER has "admin"/"org_admin" for the person themself.
std::string me_json(const accounts::Account& account, std::string_view auth);
// setup, redeem, confirm: {"user":USER,"token":"..."}
std::string signed_in_json(const accounts::SignedIn& signed_in);
// GET /api/audit: {"events":[{"ts","actor","action","target","detail"}...],"next":<before for the next page>|null}
std::string audit_json(const std::vector<accounts::AuditEvent>& events);
// GET /api/audit?format=csv: a header line, then one event a line, newest first.
std::string audit_csv(const std::vector<accounts::AuditEvent>& events);
// One CSV field: quoted when needed; a leading = + - @ tab or CR is defused with a quote mark so a
// spreadsheet does not run it as a formula.
std::string csv_field(std::string_view text);

}  // namespace outloud::net
