;; The devnet's demo workload (crates/runtime/src/fixtures.rs, DEMO_WORKLOAD): reads decimal
;; numbers from standard input and prints `count <n> sum <their sum> mix <a 64-bit hash>`.
(module
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
