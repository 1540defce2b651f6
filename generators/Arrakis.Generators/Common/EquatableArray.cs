using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;

namespace Arrakis.Generators.Common
{
    /// <summary>
    /// An immutable array compared by its elements, so pipeline models holding one stay equal between runs and
    /// the incremental generator can cache the steps that follow.
    /// </summary>
    internal readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IReadOnlyList<T>
        where T : IEquatable<T>
    {
        public static readonly EquatableArray<T> Empty = new EquatableArray<T>(Array.Empty<T>());

        private readonly T[]? _items;

        public EquatableArray(T[] items) => _items = items;

        public EquatableArray(IEnumerable<T> items) => _items = new List<T>(items).ToArray();

        public int Count => _items?.Length ?? 0;

        public T this[int index] => _items![index];

        public bool Equals(EquatableArray<T> other)
        {
            T[] a = _items ?? Array.Empty<T>(), b = other._items ?? Array.Empty<T>();
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++)
            {
                if (!EqualityComparer<T>.Default.Equals(a[i], b[i])) return false;
            }
            return true;
        }

        public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

        public override int GetHashCode()
        {
            int hash = 17;
            foreach (T item in _items ?? Array.Empty<T>())
            {
                hash = unchecked(hash * 31 + (item?.GetHashCode() ?? 0));
            }
            return hash;
        }

        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)(_items ?? Array.Empty<T>())).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public static bool operator ==(EquatableArray<T> left, EquatableArray<T> right) => left.Equals(right);

        public static bool operator !=(EquatableArray<T> left, EquatableArray<T> right) => !left.Equals(right);
    }

    internal static class EquatableArray
    {
        public static EquatableArray<T> ToEquatableArray<T>(this IEnumerable<T> items) where T : IEquatable<T> =>
            new EquatableArray<T>(items);

        public static EquatableArray<T> ToEquatableArray<T>(this ImmutableArray<T> items) where T : IEquatable<T> =>
            new EquatableArray<T>(items.ToArray());
    }
}
