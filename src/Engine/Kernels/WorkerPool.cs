using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace MLNetBackprop.Engine;

/// <summary>Work items a <see cref="WorkerPool"/> dispatch runs: <see cref="Run"/> for every index in [0, count).</summary>
internal abstract class PoolWork
{
    /// <summary>Runs item <paramref name="index"/>. Items of one dispatch must be independent.</summary>
    /// <param name="index">The item.</param>
    public abstract void Run(int index);
}

/// <summary>How a <see cref="WorkerPool"/>'s dispatches went: forked to helpers, run inline during a back-off, and why back-offs began.</summary>
/// <param name="Forked">Dispatches offered to the helpers.</param>
/// <param name="Inlined">Dispatches run on the calling thread because the pool was backing off.</param>
/// <param name="Stalls">Dispatches whose caller waited far longer than an item takes for a helper (it lost its core mid-item).</param>
/// <param name="Unshared">Long dispatches in which helpers that were spinning took under a quarter of the items.</param>
internal readonly record struct PoolCounters(long Forked, long Inlined, long Stalls, long Unshared)
{
    /// <summary>The counts since <paramref name="before"/>.</summary>
    public PoolCounters Since(PoolCounters before) => new(Forked - before.Forked, Inlined - before.Inlined, Stalls - before.Stalls, Unshared - before.Unshared);

    /// <inheritdoc/>
    public override string ToString() => $"{Forked:N0} dispatches forked, {Inlined:N0} run inline while backing off, back-offs after {Stalls:N0} stalls and {Unshared:N0} unshared dispatches";
}

/// <summary>
/// A small persistent fork/join pool for the kernels (GEMM tiles, optimizer chunks), replacing one
/// <c>Parallel.For</c> per product: no allocation per dispatch, and no waiting for a helper that is not
/// running.
/// </summary>
/// <remarks>
/// <para>The caller takes part: the items are cut into one contiguous range per thread (the caller's first),
/// and each thread claims the items of its own range one at a time, then takes what is left of the others'
/// ranges. So item i of a dispatch usually runs on the same thread from one dispatch to the next: the
/// thread that gathered a batch's rows, updated a slice of the weights or wrote a slice of a gradient is the
/// one that reads it next, and the data stays in that core's cache instead of crossing to the other core
/// (on a 2-vCPU guest that crossing costs more than the arithmetic). A helper that is descheduled (the
/// machine is busy) simply claims nothing, and the caller runs its items; the caller only ever waits for
/// items a helper has already started. Which thread runs an item never changes what the item computes, so
/// results do not depend on the thread count or on timing (the kernels split outputs, never a sum).</para>
/// <para>Helpers spin (yielding after a few rounds) for <see cref="SpinMicroseconds"/> after a dispatch,
/// waiting for the next (the products of a mini-batch follow each other within microseconds), then block.
/// If the caller waits much longer for a helper than an item takes (the helper was descheduled mid-item),
/// or spinning helpers take under a quarter of a long dispatch's items (they have no core of their own:
/// another process wants it), dispatches run inline for <see cref="BackoffFactor"/> times what that
/// dispatch lost (at least <see cref="BackoffMicroseconds"/>), doubling with every bad dispatch (up to
/// <see cref="MaxBackoffMicroseconds"/>) and halving after a long shared dispatch or
/// <see cref="GoodDispatchesToForgive"/> short ones in a row: on a busy machine forking soon stops, and a rare
/// hiccup of an idle virtual machine costs little (bench `contended`).
/// One dispatch at a time: a caller that finds the pool busy (a concurrent training) runs its items on
/// its own thread.</para>
/// </remarks>
internal static class WorkerPool
{
    /// <summary>How long an idle helper spins for the next dispatch before blocking.</summary>
    private const int SpinMicroseconds = 200;

    /// <summary>The most helper threads ever started.</summary>
    private const int MaxHelpers = 63;

    /// <summary>A wait for helpers longer than this beyond twice the caller's mean item time counts as a stall.</summary>
    private const int StallMicroseconds = 50;

    /// <summary>
    /// Only a dispatch at least this long says whether spinning helpers take their share: a shorter one may be over
    /// before a helper on an idle vCPU of a virtual machine is running again (measured: up to ~100 µs), which is no
    /// reason to stop forking.
    /// </summary>
    private const int JudgeMicroseconds = 200;

    /// <summary>The shortest back-off: after a bad dispatch, dispatches run on the calling thread at least this long.</summary>
    private const int BackoffMicroseconds = 500;

    /// <summary>A back-off lasts this many times what the bad dispatch lost (then doubles while dispatches keep going badly).</summary>
    private const int BackoffFactor = 10;

    /// <summary>The longest back-off.</summary>
    private const int MaxBackoffMicroseconds = 1_000_000;

    private static readonly object s_gate = new();
    private static readonly long s_spinTicks = Ticks(SpinMicroseconds);
    private static readonly long s_stallTicks = Ticks(StallMicroseconds);
    private static readonly long s_judgeTicks = Ticks(JudgeMicroseconds);
    private static readonly long s_backoffTicks = Ticks(BackoffMicroseconds);
    private static readonly long s_maxBackoffTicks = Ticks(MaxBackoffMicroseconds);

    /// <summary>Shared dispatches in a row since the last bad one (see <see cref="GoodDispatchesToForgive"/>).</summary>
    private static int s_goodInARow;

    /// <summary>After this many shared dispatches in a row (or one long one), the next back-off is halved.</summary>
    private const int GoodDispatchesToForgive = 16;

    /// <summary>The factor of the next back-off: doubles after every bad dispatch, halves after a run of shared ones.</summary>
    private static long s_backoffScale = 1;

    /// <summary>The largest useful factor: the shortest back-off times it reaches the longest.</summary>
    private static readonly long s_maxBackoffScale = (MaxBackoffMicroseconds + BackoffMicroseconds - 1) / BackoffMicroseconds;

    /// <summary>Until this timestamp, dispatches run inline (a helper was recently descheduled mid-item: the machine is busy).</summary>
    private static long s_inlineUntil;

    /// <summary>1 while a dispatch owns the pool.</summary>
    private static int s_busy;
    /// <summary>
    /// The current dispatch's generation &lt;&lt; 32 (helpers watch it); its low word is <see cref="uint.MaxValue"/> while a
    /// dispatch is being set up.
    /// </summary>
    private static long s_claim;
    /// <summary>
    /// Per thread slot (0 = the caller, 1 + h = helper h; <see cref="SlotStride"/> apart): (generation &lt;&lt; 32) | the
    /// next unclaimed item of the slot's range. Every slot is closed (no item claimable) before a new dispatch changes
    /// what the items are, so a claim whose compare-exchange succeeds belongs to the dispatch its generation names.
    /// </summary>
    private static readonly long[] s_next = new long[(MaxHelpers + 1) * SlotStride];
    /// <summary>Threads (slots) of the current dispatch: the caller and the allowed helpers.</summary>
    private static int s_slots;
    private static PoolWork? s_work;
    private static int s_count;
    /// <summary>Helpers with an index below this take part in the current dispatch.</summary>
    private static int s_allowed;
    /// <summary>Items finished by helpers in the current dispatch.</summary>
    private static int s_done;
    private static int s_sleeping;
    private static int s_helpers;
    private static Exception? s_error;
    private static uint s_generation;
    /// <summary>Longs between two helpers' slots (a cache line), so helpers never write the same line.</summary>
    private const int SlotStride = 8;

    /// <summary>Per helper (slot id·<see cref="SlotStride"/>): items run so far, and its thread's allocated bytes as of its last item.</summary>
    private static readonly long[] s_helperItemCounts = new long[MaxHelpers * SlotStride], s_helperAllocated = new long[MaxHelpers * SlotStride];

    /// <summary>Items run by helper threads since the process started (tests: did a dispatch really use a second thread?).</summary>
    internal static long HelperItems => SumSlots(s_helperItemCounts);

    /// <summary>
    /// Bytes the helper threads had allocated as of their last items (<c>GC.GetAllocatedBytesForCurrentThread</c> on each):
    /// with the caller's own count, what a dispatch allocated, without other threads of the process.
    /// </summary>
    internal static long HelperAllocatedBytes => SumSlots(s_helperAllocated);

    private static long SumSlots(long[] slots)
    {
        long sum = 0;
        for (int i = 0; i < slots.Length; i += SlotStride) sum += Volatile.Read(ref slots[i]);
        return sum;
    }

    /// <summary>How the dispatches went since the process started (benchmarks print it next to their timings).</summary>
    internal static PoolCounters Counters => new(Volatile.Read(ref s_forked), Volatile.Read(ref s_inlined), Volatile.Read(ref s_stalls), Volatile.Read(ref s_unshared));

    private static long s_forked, s_inlined, s_stalls, s_unshared;

    /// <summary>Tests: ends a back-off (dispatches run inline after a stall), so the next dispatch offers items to the helpers again.</summary>
    internal static void EndBackoff()
    {
        Volatile.Write(ref s_inlineUntil, 0);
        s_backoffScale = 1;
        s_goodInARow = 0;
    }

    /// <summary>
    /// Runs <c>work.Run(i)</c> once for every i in [0, <paramref name="count"/>), on the calling thread and up
    /// to <paramref name="threads"/> − 1 helpers, and returns when all have finished.
    /// </summary>
    /// <param name="work">The items.</param>
    /// <param name="count">Number of items.</param>
    /// <param name="threads">Most threads to use, the caller included.</param>
    public static void Run(PoolWork work, int count, int threads)
    {
        threads = Math.Min(Math.Min(threads, count), MaxHelpers + 1);
        bool backingOff = threads > 1 && Stopwatch.GetTimestamp() < Volatile.Read(ref s_inlineUntil);
        if (threads <= 1 || backingOff || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            if (backingOff) Interlocked.Increment(ref s_inlined);
            for (int i = 0; i < count; i++) work.Run(i);
            return;
        }
        s_forked++;
        try
        {
            EnsureHelpers(threads - 1);
            ulong gen = ++s_generation;
            // Close the previous dispatch for good before changing what the items are.
            Interlocked.Exchange(ref s_claim, (long)((gen << 32) | uint.MaxValue));
            // (Only the previous dispatch's slots can be open: every other slot was closed before it.)
            for (int slot = 0; slot < s_slots; slot++)
                Interlocked.Exchange(ref s_next[slot * SlotStride], (long)((gen << 32) | uint.MaxValue));
            s_work = work;
            s_count = count;
            s_slots = threads;
            s_allowed = threads - 1;
            s_done = 0;
            s_error = null;
            for (int slot = 0; slot < threads; slot++)
                Interlocked.Exchange(ref s_next[slot * SlotStride], (long)((gen << 32) | (uint)RangeStart(slot, count, threads)));
            Interlocked.Exchange(ref s_claim, (long)(gen << 32));
            bool helpersAwake = Volatile.Read(ref s_sleeping) == 0;
            if (!helpersAwake)
                lock (s_gate) Monitor.PulseAll(s_gate);

            int mine = 0;
            long started = Stopwatch.GetTimestamp();
            try
            {
                while (TryClaim(gen, 0, out var w, out int i))
                {
                    mine++;
                    w.Run(i);
                }
            }
            finally
            {
                // After an exception here, claim (and skip) what is left so that the count below is right.
                while (TryClaim(gen, 0, out _, out _)) mine++;
                // Every item is claimed now; wait for the ones helpers are running (they share our buffers).
                int helpers = count - mine;
                bool busyMachine = false;
                long waited = 0;
                if (Volatile.Read(ref s_done) < helpers)
                {
                    long waitFrom = Stopwatch.GetTimestamp();
                    var spin = new SpinWait();
                    while (Volatile.Read(ref s_done) < helpers) spin.SpinOnce(sleep1Threshold: -1);
                    // Waiting much longer than an item takes means a helper lost its core mid-item.
                    long meanItem = mine > 0 ? (waitFrom - started) / mine : 0;
                    waited = Stopwatch.GetTimestamp() - waitFrom;
                    busyMachine = waited > 2 * meanItem + s_stallTicks;
                }
                // Helpers that were already spinning yet ran under a quarter of a long dispatch's items do not have a
                // core of their own (another process, or our own thread, has it): their spinning only
                // slows the caller. Either way the machine is busy: stop forking for a while (the
                // results are the same either way; the idle helpers block after their spin).
                // The back-off doubles with every bad dispatch (up to MaxBackoffMicroseconds; each stall can cost a
                // scheduler time slice) and halves again while the helpers share dispatches.
                long end = Stopwatch.GetTimestamp();
                bool judged = end - started > s_judgeTicks;
                bool shared = helpers * 4 >= count;
                bool unshared = helpersAwake && judged && !shared;
                if (busyMachine) s_stalls++;
                else if (unshared) s_unshared++;
                if (busyMachine || unshared)
                {
                    // Inline for BackoffFactor times what the bad dispatch lost (the wait, or the whole dispatch when the
                    // helpers took nothing), so that such losses stay a few per cent of the time even if every forked
                    // dispatch goes wrong (a busy machine), while a rare hiccup on an idle one costs little parallel time.
                    long lost = busyMachine ? waited : end - started;
                    long backoff = Math.Min(s_maxBackoffTicks, s_backoffScale * Math.Max(s_backoffTicks, BackoffFactor * lost));
                    Volatile.Write(ref s_inlineUntil, end + backoff);
                    s_backoffScale = Math.Min(s_backoffScale * 2, s_maxBackoffScale);
                }
                else if (shared)
                {
                    // The helpers took their share: after a long dispatch, or a run of short ones, the next back-off
                    // is halved (a short dispatch alone proves little: most products of a small network are over
                    // before a busy helper would have shown it; and one good spell on a busy machine is no reason to
                    // forget all the bad ones).
                    if (judged || ++s_goodInARow >= GoodDispatchesToForgive)
                    {
                        s_backoffScale = Math.Max(1, s_backoffScale / 2);
                        s_goodInARow = 0;
                    }
                }
                if (busyMachine || unshared) s_goodInARow = 0;
            }
            if (s_error is { } e) ExceptionDispatchInfo.Capture(e).Throw();
        }
        finally
        {
            s_work = null;
            Volatile.Write(ref s_busy, 0);
        }
    }

    /// <summary>
    /// The first of <paramref name="count"/> items in part <paramref name="part"/> of <paramref name="parts"/> contiguous,
    /// balanced parts (the pool's per-thread ranges; kernels cut their work the same way).
    /// </summary>
    internal static int RangeStart(int part, int count, int parts) => (int)((long)part * count / parts);

    /// <summary>
    /// Claims an item of dispatch <paramref name="gen"/> for the thread in slot <paramref name="slot"/>: the next of its
    /// own range, else the next left in another's (the following slots first), if any is left.
    /// </summary>
    private static bool TryClaim(ulong gen, int slot, out PoolWork work, out int index)
    {
        int slots = Volatile.Read(ref s_slots);
        for (int k = 0; k < slots; k++)
        {
            int victim = (slot + k) % slots;
            if (TryClaimFrom(gen, victim, out work, out index)) return true;
        }
        work = null!;
        index = -1;
        return false;
    }

    /// <summary>Claims the next unclaimed item of slot <paramref name="victim"/>'s range, if any is left.</summary>
    private static bool TryClaimFrom(ulong gen, int victim, out PoolWork work, out int index)
    {
        ref long word = ref s_next[victim * SlotStride];
        while (true)
        {
            long s = Volatile.Read(ref word);
            uint next = (uint)s;
            // Read after the claim word: the dispatch these belong to is the one whose generation the CAS below checks
            // (a new dispatch closes every slot before it changes them).
            int count = Volatile.Read(ref s_count);
            int slots = Volatile.Read(ref s_slots);
            var w = Volatile.Read(ref s_work);
            if ((ulong)s >> 32 != (gen & uint.MaxValue) || w is null || victim >= slots
                || next >= (uint)RangeStart(victim + 1, count, slots))
            {
                work = null!;
                index = -1;
                return false;
            }
            if (Interlocked.CompareExchange(ref word, s + 1, s) == s)
            {
                work = w;
                index = (int)next;
                return true;
            }
        }
    }

    private static long Ticks(int microseconds) => Math.Max(1, Stopwatch.Frequency * microseconds / 1_000_000);

    private static void EnsureHelpers(int wanted)
    {
        if (Volatile.Read(ref s_helpers) >= wanted) return;
        lock (s_gate)
        {
            while (s_helpers < wanted)
            {
                int id = s_helpers;
                var t = new Thread(() => HelperLoop(id)) { IsBackground = true, Name = $"MLNetBackprop kernel helper {id + 1}" };
                t.Start();
                s_helpers++;
            }
        }
    }

    private static void HelperLoop(int id)
    {
        ulong seen = (ulong)Volatile.Read(ref s_claim) >> 32;
        while (true)
        {
            ulong gen = WaitForDispatch(seen);
            seen = gen;
            if (id >= Volatile.Read(ref s_allowed)) continue;
            while (TryClaim(gen, id + 1, out var w, out int i))
            {
                try { w.Run(i); }
                catch (Exception e) { Interlocked.CompareExchange(ref s_error, e, null); }
                // Only this helper writes its slot; published before s_done, so a caller that waited for the item sees it.
                s_helperItemCounts[id * SlotStride]++;
                Volatile.Write(ref s_helperAllocated[id * SlotStride], GC.GetAllocatedBytesForCurrentThread());
                Interlocked.Increment(ref s_done);
            }
        }
    }

    /// <summary>Spins, then blocks, until a dispatch with a generation other than <paramref name="seen"/> is open.</summary>
    private static ulong WaitForDispatch(ulong seen)
    {
        long until = Stopwatch.GetTimestamp() + s_spinTicks;
        for (int spins = 0; ; spins++)
        {
            long s = Volatile.Read(ref s_claim);
            if ((ulong)s >> 32 != seen && (uint)s != uint.MaxValue) return (ulong)s >> 32;
            if (Stopwatch.GetTimestamp() > until) break;
            // Spin briefly, then yield while spinning: if this helper shares a core with the caller
            // (another process has the other), the caller gets it back at once.
            if (spins < 64) Thread.SpinWait(20);
            else Thread.Yield();
        }
        lock (s_gate)
        {
            Interlocked.Increment(ref s_sleeping);
            try
            {
                while (true)
                {
                    long s = Volatile.Read(ref s_claim);
                    if ((ulong)s >> 32 != seen && (uint)s != uint.MaxValue) return (ulong)s >> 32;
                    Monitor.Wait(s_gate);
                }
            }
            finally { Interlocked.Decrement(ref s_sleeping); }
        }
    }
}
