// weft/weft.hpp — the umbrella header: everything a test or program needs.
#pragma once

#include <weft/as_completed.hpp>
#include <weft/assert.hpp>
#include <weft/atomic.hpp>
#include <weft/barrier.hpp>
#include <weft/clock.hpp>
#include <weft/condvar.hpp>
#include <weft/errors.hpp>
#include <weft/event.hpp>
#include <weft/executor.hpp>
#include <weft/explore.hpp>
#include <weft/future.hpp>
#include <weft/ipc.hpp>
#include <weft/location.hpp>
#include <weft/lockdep.hpp>
#include <weft/locks.hpp>
#include <weft/mutex.hpp>
#include <weft/process.hpp>
#include <weft/process_pool.hpp>
#include <weft/queue.hpp>
#include <weft/report_json.hpp>
#include <weft/schedule.hpp>
#include <weft/semaphore.hpp>
#include <weft/serialize.hpp>
#include <weft/shared.hpp>
#include <weft/thread.hpp>
