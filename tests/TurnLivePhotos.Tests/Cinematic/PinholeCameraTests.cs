using TurnLivePhotos.Engine.Cinematic;

namespace TurnLivePhotos.Tests.Cinematic;

/// <summary>The one camera model: the engine's moves are pinhole cameras, and any pinhole pair maps there and back.</summary>
public sealed class PinholeCameraTests
{
    [Theory]
    [InlineData(12.0, 0.0, 0.0, 1.03)]
    [InlineData(0.0, -9.0, 0.0, 1.02)]
    [InlineData(0.0, 0.0, 0.04, 1.0)]
    [InlineData(7.0, 3.0, 0.02, 1.05)]
    public void The_engines_moves_as_pinhole_cameras_move_pixels_as_the_engines_closed_form(double shiftX, double shiftY, double forward, double zoom)
    {
        // The closed form of a sideways shift (pixels per unit of inverse depth), a push toward the scene (units of the
        // far distance), a turn keeping the pivot plane still, and a zoom about the centre, for offsets from the centre.
        var pose = new CameraPose(shiftX, shiftY, forward, zoom, CinematicCamera.InverseDepth(CinematicCamera.PivotDisparity));
        var (source, target) = pose.Cameras(640, 480);
        var transfer = ViewTransfer.Between(source, target);
        foreach (var (dx, dy, q) in new[] { (-300.0, -200.0, 1.0), (0.0, 0.0, 4.0), (150.0, -60.0, 2.5), (310.0, 230.0, 1.6) })
        {
            var expectedX = zoom * (((dx - (shiftX * q)) / (1 - (forward * q))) + (shiftX * pose.Pivot));
            var expectedY = zoom * (((dy - (shiftY * q)) / (1 - (forward * q))) + (shiftY * pose.Pivot));
            var (x, y, _) = transfer.Project(dx + 319.5, dy + 239.5, q);
            Assert.Equal(expectedX, x - 319.5, 9);
            Assert.Equal(expectedY, y - 239.5, 9);
        }
    }

    [Fact]
    public void A_turned_and_moved_camera_maps_a_pixel_and_its_depth_there_and_back()
    {
        var intrinsics = new Intrinsics(800, 790, 479.5, 359.5);
        var target = new PinholeCamera(new Intrinsics(820, 810, 470, 365), Matrix3.Yaw(0.03), new Vector3d(0.1, -0.05, 0.2));
        var transfer = ViewTransfer.Between(PinholeCamera.AtOrigin(intrinsics), target);

        var (x, y, q) = transfer.Project(600, 200, 1 / 3.0);
        var (u, v) = transfer.Unproject(x, y, q);
        Assert.Equal(600, u, 6);
        Assert.Equal(200, v, 6);

        // The point is 3 units in front of the source; the target stands 0.2 nearer and turned: its depth is that point's z in the target's axes.
        var point = new Vector3d((600 - 479.5) / 800 * 3, (200 - 359.5) / 790 * 3, 3);
        var inTarget = Matrix3.Yaw(0.03).Transposed * (point - new Vector3d(0.1, -0.05, 0.2));
        Assert.Equal(1 / inTarget.Z, q, 9);
        Assert.Equal((820 * inTarget.X / inTarget.Z) + 470, x, 6);
    }
}
