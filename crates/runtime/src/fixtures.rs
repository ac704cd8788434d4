//! WASI modules in WAT text that the devnet submits and the benchmarks and tests run: one honest
//! workload, with its output computed natively as well, and the hostile modules every provider
//! must survive.

/// The devnet's demo workload. It reads decimal numbers from standard input (any byte that is
/// not a digit separates them; sums wrap at 2⁶⁴), folds them into an FNV-1a-style hash, then
/// mixes that hash [`DEMO_ROUNDS`] times (xor-shift, multiply, add the round number: a few
/// tens of millions of instructions), and prints one line:
/// `count <numbers> sum <their sum> mix <the hash, 16 hex digits>`.
/// [`demo_native`] computes the same line in Rust.
pub const DEMO_WORKLOAD: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0: the iovec, 8: the count read or written, 100..120: decimal digits, 128..144: hex
  ;; digits, 200..: the line's words, 1024..5120: what was read from stdin.
  (data (i32.const 200) "count ")
  (data (i32.const 208) " sum ")
  (data (i32.const 216) " mix ")
  (data (i32.const 224) "\n")
  (global $cur (mut i64) (i64.const 0))
  (global $in (mut i32) (i32.const 0))
  (global $count (mut i64) (i64.const 0))
  (global $sum (mut i64) (i64.const 0))
  (global $h (mut i64) (i64.const 0xcbf29ce484222325))
  (func $emit (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $end_number
    (if (global.get $in)
      (then
        (global.set $count (i64.add (global.get $count) (i64.const 1)))
        (global.set $sum (i64.add (global.get $sum) (global.get $cur)))
        (global.set $h
          (i64.mul (i64.xor (global.get $h) (global.get $cur)) (i64.const 0x100000001b3)))
        (global.set $cur (i64.const 0))
        (global.set $in (i32.const 0)))))
  (func $put_decimal (param $v i64)
    (local $p i32)
    (local.set $p (i32.const 120))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $digits (i64.ne (local.get $v) (i64.const 0))))
    (call $emit (local.get $p) (i32.sub (i32.const 120) (local.get $p))))
  (func $put_hex (param $v i64)
    (local $i i32) (local $n i32)
    (loop $nibbles
      (local.set $n (i32.wrap_i64 (i64.and
        (i64.shr_u (local.get $v)
          (i64.extend_i32_u (i32.sub (i32.const 60) (i32.mul (local.get $i) (i32.const 4)))))
        (i64.const 15))))
      (i32.store8 (i32.add (i32.const 128) (local.get $i))
        (select
          (i32.add (i32.const 48) (local.get $n))
          (i32.add (i32.const 87) (local.get $n))
          (i32.lt_u (local.get $n) (i32.const 10))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $nibbles (i32.lt_u (local.get $i) (i32.const 16))))
    (call $emit (i32.const 128) (i32.const 16)))
  (func (export "_start")
    (local $n i32) (local $i i32) (local $b i32) (local $k i64) (local $h i64)
    (block $eof
      (loop $read
        (i32.store (i32.const 0) (i32.const 1024))
        (i32.store (i32.const 4) (i32.const 4096))
        (br_if $eof (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $eof (i32.eqz (local.get $n)))
        (local.set $i (i32.const 0))
        (loop $bytes
          (local.set $b
            (i32.sub (i32.load8_u (i32.add (i32.const 1024) (local.get $i))) (i32.const 48)))
          (if (i32.lt_u (local.get $b) (i32.const 10))
            (then
              (global.set $cur (i64.add
                (i64.mul (global.get $cur) (i64.const 10))
                (i64.extend_i32_u (local.get $b))))
              (global.set $in (i32.const 1)))
            (else (call $end_number)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $bytes (i32.lt_u (local.get $i) (local.get $n))))
        (br $read)))
    (call $end_number)
    (local.set $h (global.get $h))
    (loop $mix
      (local.set $h (i64.xor (local.get $h) (i64.shr_u (local.get $h) (i64.const 33))))
      (local.set $h (i64.mul (local.get $h) (i64.const 0xff51afd7ed558ccd)))
      (local.set $h (i64.add (local.get $h) (local.get $k)))
      (local.set $k (i64.add (local.get $k) (i64.const 1)))
      (br_if $mix (i64.lt_u (local.get $k) (i64.const 4000000))))
    (call $emit (i32.const 200) (i32.const 6))
    (call $put_decimal (global.get $count))
    (call $emit (i32.const 208) (i32.const 5))
    (call $put_decimal (global.get $sum))
    (call $emit (i32.const 216) (i32.const 5))
    (call $put_hex (local.get $h))
    (call $emit (i32.const 224) (i32.const 1))))
"#;

/// The mixing rounds [`DEMO_WORKLOAD`] runs (the constant in its `$mix` loop).
pub const DEMO_ROUNDS: u64 = 4_000_000;

/// Fuel that runs [`DEMO_WORKLOAD`] over a few kilobytes of input with room to spare: each
/// mixing round costs about a dozen instructions.
pub const DEMO_FUEL: u64 = 200_000_000;

/// Standard input for the demo workload.
pub const DEMO_STDIN: &str = "3 14 15 92 65 35 89 79 32 38 46 26 43 38 32 79 50 28 84 19 71";

/// A job spec (TOML) running the WASM module whose blob id is `module` on `numbers` (the text
/// of its one input, `numbers.txt`) with `fuel`, for at most `duration_blocks` at 0.01 PLX a
/// block on one core and 256 MiB, a quarter of its results re-executed once its provider is
/// past probation: the job the devnet's consumer and the simulation submit.
pub fn wasm_job_spec(
    module: &impl std::fmt::Display,
    numbers: &str,
    fuel: u64,
    duration_blocks: u64,
) -> String {
    format!(
        r#"runtime = "wasm"
max_price_per_block = "0.01plx"
duration_blocks = {duration_blocks}

[wasm]
module = "{module}"
fuel = {fuel}
memory_mb = 16
max_output_bytes = 4096

[[inputs]]
name = "numbers.txt"
text = "{numbers}"

[resources]
cpu_cores = 1
memory_mb = 256

[verification]
sample_per_mille = 250
"#
    )
}

/// What [`DEMO_WORKLOAD`] prints for `stdin`, computed natively.
pub fn demo_native(stdin: &[u8]) -> Vec<u8> {
    let (mut cur, mut in_number) = (0u64, false);
    let (mut count, mut sum, mut h) = (0u64, 0u64, 0xcbf2_9ce4_8422_2325u64);
    let mut end_number = |cur: &mut u64, in_number: &mut bool| {
        if *in_number {
            count += 1;
            sum = sum.wrapping_add(*cur);
            h = (h ^ *cur).wrapping_mul(0x0000_0100_0000_01b3);
            *cur = 0;
            *in_number = false;
        }
    };
    for &b in stdin {
        let digit = b.wrapping_sub(b'0');
        if digit < 10 {
            cur = cur.wrapping_mul(10).wrapping_add(u64::from(digit));
            in_number = true;
        } else {
            end_number(&mut cur, &mut in_number);
        }
    }
    end_number(&mut cur, &mut in_number);
    for k in 0..DEMO_ROUNDS {
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h = h.wrapping_add(k);
    }
    format!("count {count} sum {sum} mix {h:016x}\n").into_bytes()
}

/// Loops until its fuel runs out.
pub const ENDLESS_LOOP: &str = r#"(module (func (export "_start") (loop $l (br $l))))"#;

/// Grows its memory by a megabyte at a time, forever.
pub const MEMORY_BOMB: &str = r#"(module (memory 1)
  (func (export "_start") (loop $l (drop (memory.grow (i32.const 16))) (br $l))))"#;

/// Writes `before the trap` and a newline, then traps.
pub const TRAP: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "before the trap\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 16))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    unreachable))"#;

/// Writes `0123456789abcdef` to standard output, forever.
pub const OUTPUT_FLOOD: &str = r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "0123456789abcdef")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 16))
    (loop $l
      (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br $l))))"#;

/// Sleeps for as long as a WASI timeout can say (`u64::MAX` nanoseconds), then writes `awake`
/// and a newline.
pub const SLEEP_FOREVER: &str = r#"(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "awake\n")
  (func (export "_start")
    (i32.store (i32.const 16) (i32.const 1))
    (i64.store (i32.const 24) (i64.const -1))
    (drop (call $poll (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128)))
    (i32.store (i32.const 200) (i32.const 256))
    (i32.store (i32.const 204) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 200) (i32.const 1) (i32.const 220)))))"#;

/// Asks WASI for 4 MiB of random bytes, forever: work done inside a WASI call, a few
/// instructions a call, which is charged a unit of fuel per byte ([`crate::metered`]).
pub const RANDOM_SPINNER: &str = r#"(module
  (import "wasi_snapshot_preview1" "random_get" (func $random (param i32 i32) (result i32)))
  (memory (export "memory") 64)
  (func (export "_start")
    (loop $l (drop (call $random (i32.const 0) (i32.const 4194304))) (br $l))))"#;
