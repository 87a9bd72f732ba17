// Transaction ids for sends (PUT /v1/rooms/{room}/send/{txn_id}): the server appends one
// event per (session, room, txn_id), so a retry with the same id never appends twice.
#pragma once

#include <string>
#include <string_view>

namespace bartab::sdk {

// 16 random bytes in hex: for a send that is retried within one process.
std::string random_txn_id();

// The txn_id of the n-th reply (0, 1, ...) a bot makes to the event `event_id`: the
// same for the same event in every run, so an event delivered again after a crash
// produces the same sends and the server appends nothing new.
std::string reply_txn_id(std::string_view event_id, int n);

}  // namespace bartab::sdk
