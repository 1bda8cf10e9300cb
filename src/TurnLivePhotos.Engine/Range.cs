namespace TurnLivePhotos.Engine;

/// <summary>An inclusive range of allowed values.</summary>
public readonly record struct Range<T>(T Min, T Max)
    where T : IComparable<T>
{
    public bool Contains(T value) => value.CompareTo(Min) >= 0 && value.CompareTo(Max) <= 0;

    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Min} to {Max}");
}
