// The demo shop's catalog (`bottega demo`): a few shoes and accessories with sizes, prices, stock,
// images and titles in English, Italian, German and Dutch; tax and shipping settings; and the
// discount codes WELCOME10 (10% from 50 EUR, once per customer), SUMMER20 (expired) and BOOTS15
// (the Chelsea boot only).
#pragma once

#include <string>

#include "bottega/clock.hpp"
#include "bottega/errors.hpp"
#include "bottega/store.hpp"

namespace bottega::commerce {

Status seed_demo_catalog(store::Tx& tx, IdGenerator& ids, const std::string& tenant, int64_t now);

}  // namespace bottega::commerce
