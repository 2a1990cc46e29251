// Canned responses: saved replies with variables, rendered on the server. Pure.
//
// Variables: {{contact.name}}, {{contact.first_name}}, {{contact.email}} (also spelled
// {{customer.name}}, {{customer.first_name}}, {{customer.email}}), {{order.number}} (the
// conversation's latest order, else the customer's), {{agent.name}}, {{agent.first_name}},
// {{shop.name}}, {{conversation.id}}. Canned responses and macro replies share them. Substitution is one pass (a value that
// contains "{{" is never expanded again), control characters in values are dropped, a value that
// is not known renders as "" and `\{{` writes a literal "{{". An unknown variable name is refused
// when the response is saved.
#pragma once

#include <map>
#include <string>

#include "bottega/errors.hpp"

namespace bottega::service {

// Checks a body: its {{...}} references are all known variables (`vars`, a null-terminated list;
// null: the canned responses' variables above). Errors name `field`.
Status validate_template(const std::string& body, const std::string& field, const char* const* vars = nullptr);
// Renders `body` with `vars` ("contact.name" -> "Ann").
std::string render_template(const std::string& body, const std::map<std::string, std::string>& vars);
const char* const* template_variables();  // null-terminated list, for docs and errors
// `s` without leading and trailing blanks (space, tab, CR, LF): names and texts the service stores.
std::string trimmed(std::string s);

}  // namespace bottega::service
