using TurnLivePhotos.Server.Jobs;

namespace TurnLivePhotos.Tests.Server;

/// <summary>A job's files are named after the uploaded photo (issue 25 item 5); the name comes from the client.</summary>
public sealed class PhotoNameTests
{
    [Theory]
    [InlineData("lakeside.jpg", "lakeside")]
    [InlineData("IMG_1234.HEIC", "IMG_1234")]
    [InlineData("../../evil.jpg", "evil")]
    [InlineData(@"C:\Users\ana\Pictures\harbour at dusk.png", "harbour at dusk")]
    [InlineData("my.holiday.v2.webp", "my.holiday.v2")]
    [InlineData("sommer, see & berge.jpg", "sommer_ see _ berge")]
    [InlineData("Café.jpg", "Café")]
    [InlineData(".hidden.jpg", "hidden")]
    [InlineData("..", PhotoName.Fallback)]
    [InlineData("nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn.jpg", PhotoName.Fallback)]
    [InlineData("***.jpg", PhotoName.Fallback)]
    [InlineData("", PhotoName.Fallback)]
    [InlineData(null, PhotoName.Fallback)]
    public void An_upload_name_becomes_its_stem_made_safe(string? uploaded, string expected) =>
        Assert.Equal(expected, PhotoName.FromUpload(uploaded));

    [Fact]
    public void No_generated_hostile_name_escapes_the_job_folder_or_hides_a_file()
    {
        // Separators, dots, control and reserved characters, spaces and letters of other scripts, in any order and length.
        const string alphabet = "/\\..:*?\"<>|\0\n\r\t ab_-Zé漢😀%~";
        var random = new Random(25);
        for (var i = 0; i < 5000; i++)
        {
            var elements = System.Globalization.StringInfo.GetTextElementEnumerator(alphabet);
            var parts = new List<string>();
            while (elements.MoveNext())
            {
                parts.Add((string)elements.Current);
            }

            var name = string.Concat(Enumerable.Range(0, random.Next(0, 300)).Select(_ => parts[random.Next(parts.Count)]));

            var safe = PhotoName.FromUpload(name);

            Assert.InRange(safe.Length, 1, PhotoName.MaxLength);
            Assert.Equal(Path.GetFileName(safe), safe);
            Assert.DoesNotContain(safe, c => char.IsControl(c) || c is '/' or '\\' or ':' or '*' or '?' or '"' or '<' or '>' or '|');
            Assert.False(safe.StartsWith('.') || safe.EndsWith('.') || safe.StartsWith(' ') || safe.EndsWith(' '), $"\"{safe}\" from \"{name}\"");
            Assert.Contains(safe, char.IsLetterOrDigit);
            var folder = Path.GetFullPath("/jobs/0123");
            Assert.Equal(folder, Path.GetDirectoryName(Path.GetFullPath(Path.Combine(folder, safe + ".gif"))));
        }
    }
}
